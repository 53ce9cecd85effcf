#pragma once
// The open-file limit: a server holds a descriptor per connection, and a
// soft limit of 1,024 (many shells' default) would cap a gateway at about
// a thousand dashboards while the hard limit allows far more.

#include <cstdint>
#include <string>

namespace nanokit {

// Raises this process's soft open-file limit to its hard limit (children
// started afterwards inherit it); returns the limit now in force.
uint64_t RaiseOpenFileLimit();

// "the open-file limit is N (raise ...)": what to tell an operator when
// descriptors run out or the limit is low.
std::string OpenFileLimitAdvice();

}  // namespace nanokit
