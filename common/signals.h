#pragma once
// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and every thread it
// starts later, so that the main thread can wait for them with
// WaitForStopSignal. Call before starting any thread.

#include <functional>

namespace nanokit {

void BlockStopSignals();
// Returns the stop signal received (SIGINT or SIGTERM). Each SIGHUP before
// it calls on_reload (a server reads its certificates again), or is ignored
// when there is none.
int WaitForStopSignal(const std::function<void()>& on_reload = nullptr);

}  // namespace nanokit
