#include "common/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace nanokit {

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(const std::string& path,
                                                                  const std::vector<std::string>& args,
                                                                  const std::string& cwd,
                                                                  const std::string& stderr_path,
                                                                  bool terminate_with_parent) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  int err_fd = -1;
  if (!stderr_path.empty()) {
    err_fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (err_fd < 0) return absl::InternalError(absl::StrCat("cannot open ", stderr_path));
  }
  // Everything the child needs is prepared before fork: after it only
  // async-signal-safe calls are allowed.
  std::vector<std::string> storage;
  storage.push_back(path);
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);

  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // The parent may have died between fork and prctl: then exit at once.
    if (terminate_with_parent && (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)) _exit(125);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    dup2(pipe_fds[1], STDOUT_FILENO);
    if (err_fd >= 0) dup2(err_fd, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
  ::close(pipe_fds[1]);
  if (err_fd >= 0) ::close(err_fd);
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, pipe_fds[0]));
}

ChildProcess::~ChildProcess() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    Wait(absl::Seconds(10));
  }
  ::close(stdout_fd_);
}

absl::StatusOr<std::string> ChildProcess::ReadLine(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (auto nl = buffered_.find('\n'); nl != std::string::npos) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      return line;
    }
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return absl::DeadlineExceededError("no line on stdout in time");
    pollfd pfd{stdout_fd_, POLLIN, 0};
    int n = poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char chunk[4096];
    ssize_t got = ::read(stdout_fd_, chunk, sizeof(chunk));
    if (got <= 0) return absl::UnavailableError(absl::StrCat("stdout closed; so far: \"", buffered_, "\""));
    buffered_.append(chunk, static_cast<size_t>(got));
  }
}

std::string ChildProcess::ReadAll(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string out = std::move(buffered_);
  buffered_.clear();
  while (absl::Now() < deadline) {
    pollfd pfd{stdout_fd_, POLLIN, 0};
    int n = poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now())) + 1);
    if (n <= 0) continue;
    char chunk[4096];
    ssize_t got = ::read(stdout_fd_, chunk, sizeof(chunk));
    if (got <= 0) break;
    out.append(chunk, static_cast<size_t>(got));
  }
  return out;
}

void ChildProcess::Signal(int sig) {
  if (!exit_code_) ::kill(pid_, sig);
}

bool ChildProcess::running() {
  if (exit_code_) return false;
  return !Wait(absl::ZeroDuration()).has_value();
}

std::optional<int> ChildProcess::Wait(absl::Duration timeout) {
  if (exit_code_) return exit_code_;
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (absl::Now() >= deadline) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(5));
  }
}

CommandResult RunCommand(const std::string& path, const std::vector<std::string>& args, const std::string& cwd,
                         absl::Duration timeout) {
  CommandResult result;
  char err_template[] = "/tmp/nanokit-cmd-stderr-XXXXXX";
  int fd = mkstemp(err_template);
  if (fd < 0) return result;
  ::close(fd);
  {
    auto child = ChildProcess::Start(path, args, cwd, err_template);
    if (!child.ok()) return result;
    result.out = (*child)->ReadAll(timeout);
    auto code = (*child)->Wait(timeout);
    result.exit_code = code.value_or(-1);
  }
  std::ifstream in(err_template);
  std::stringstream ss;
  ss << in.rdbuf();
  result.err = ss.str();
  ::unlink(err_template);
  return result;
}

}  // namespace nanokit
