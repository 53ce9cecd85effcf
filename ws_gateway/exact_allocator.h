#pragma once
// An allocator for an operation that may wait a long time: it takes exactly
// what the operation needs from the process's allocator. Asio's default
// hands an operation the memory its thread's last one freed when that is
// large enough — on a connection that has just read a message, the few
// hundred bytes of Beast's read chain, kept for as long as the connection
// then waits (with std::allocator<void> Asio keeps that default, hence a
// type of its own).

#include <cstddef>
#include <new>

namespace nanokit::gateway {

template <class T>
struct ExactAllocator {
  using value_type = T;

  ExactAllocator() = default;
  template <class U>
  ExactAllocator(const ExactAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p); }

  friend bool operator==(const ExactAllocator&, const ExactAllocator&) noexcept { return true; }
  friend bool operator!=(const ExactAllocator&, const ExactAllocator&) noexcept { return false; }
};

}  // namespace nanokit::gateway
