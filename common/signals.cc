#include "common/signals.h"

#include <csignal>

namespace nanokit {
namespace {

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void BlockStopSignals() {
  sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A dashboard that vanishes mid-write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
}

int WaitForStopSignal(const std::function<void()>& on_reload) {
  sigset_t set = StopSignals();
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig != SIGHUP) return sig;
    if (on_reload) on_reload();
  }
}

}  // namespace nanokit
