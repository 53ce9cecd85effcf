#include "common/file_limit.h"

#include <sys/resource.h>

#include "absl/strings/str_cat.h"

namespace nanokit {

uint64_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur;
}

std::string OpenFileLimitAdvice() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return "the open-file limit is unknown";
  return absl::StrCat("the open-file limit is ", limit.rlim_cur,
                      ": a descriptor per connection; raise ulimit -Hn or LimitNOFILE= for more");
}

}  // namespace nanokit
