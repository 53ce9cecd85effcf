#include "bench/pinning.h"

#include <sched.h>

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace nanokit::bench {

absl::Status PinThisProcess(const std::string& cpus) {
  if (cpus.empty()) return absl::OkStatus();
  cpu_set_t set;
  CPU_ZERO(&set);
  for (absl::string_view part : absl::StrSplit(cpus, ',')) {
    std::pair<absl::string_view, absl::string_view> range = absl::StrSplit(part, absl::MaxSplits('-', 1));
    int first = 0, last = 0;
    if (!absl::SimpleAtoi(range.first, &first) || (!range.second.empty() && !absl::SimpleAtoi(range.second, &last)) ||
        first < 0 || first >= CPU_SETSIZE) {
      return absl::InvalidArgumentError(absl::StrCat("not a CPU list: \"", cpus, "\" (e.g. 1, 0-1, 0,2)"));
    }
    if (range.second.empty()) last = first;
    for (int cpu = first; cpu <= last && cpu < CPU_SETSIZE; ++cpu) CPU_SET(cpu, &set);
  }
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot run on CPUs ", cpus, " (are there that many?)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ChildProcess>> StartOnCpus(const std::string& cpus, const std::string& binary,
                                                          const std::vector<std::string>& args,
                                                          const std::string& dir, const std::string& log_file) {
  if (cpus.empty()) return ChildProcess::Start(binary, args, dir, log_file);
  std::vector<std::string> pinned = {"-c", cpus, binary};
  pinned.insert(pinned.end(), args.begin(), args.end());
  // taskset execs the server in its own place: the pid is the server's.
  return ChildProcess::Start("/usr/bin/taskset", pinned, dir, log_file);
}

}  // namespace nanokit::bench
