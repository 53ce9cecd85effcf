#pragma once
// A process of ours started by another: the servers under `nanokit up`, the
// tests and the load tool. Its stdout is read line by line, its stderr goes
// to a file the caller can inspect (or stays the caller's). Killed
// (SIGKILL) if still running when destroyed.

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace nanokit {

class ChildProcess {
 public:
  // Runs path with args in cwd (empty: the current folder); stderr is
  // appended to stderr_path (empty: inherited). With terminate_with_parent
  // the child gets SIGTERM when the calling thread's process dies, even by
  // SIGKILL (PR_SET_PDEATHSIG: start it from a thread that lives as long).
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const std::string& path,
                                                             const std::vector<std::string>& args,
                                                             const std::string& cwd = "",
                                                             const std::string& stderr_path = "",
                                                             bool terminate_with_parent = false);
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // The next line of stdout, without its newline.
  absl::StatusOr<std::string> ReadLine(absl::Duration timeout);
  // Everything left on stdout until it closes.
  std::string ReadAll(absl::Duration timeout);
  void Signal(int sig);
  // The exit code (128 + signal if killed by one); nullopt on timeout.
  std::optional<int> Wait(absl::Duration timeout);
  bool running();

 private:
  ChildProcess(pid_t pid, int stdout_fd) : pid_(pid), stdout_fd_(stdout_fd) {}
  pid_t pid_;
  int stdout_fd_;
  std::string buffered_;
  std::optional<int> exit_code_;
};

// Runs a command to completion: exit code, stdout and stderr.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult RunCommand(const std::string& path, const std::vector<std::string>& args, const std::string& cwd = "",
                         absl::Duration timeout = absl::Seconds(30));

}  // namespace nanokit
