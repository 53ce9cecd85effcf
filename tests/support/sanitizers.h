#pragma once
// NANOKIT_ASAN is defined when this binary is built with AddressSanitizer,
// by GCC (which defines __SANITIZE_ADDRESS__) or by Clang (which answers
// __has_feature). Checks of resident memory mean nothing under it: freed
// memory waits in ASan's quarantine.

#if defined(__SANITIZE_ADDRESS__)
#define NANOKIT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NANOKIT_ASAN 1
#endif
#endif
