#pragma once
// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts
// later, so that the main thread can wait for them with WaitForStopSignal.
// Call before starting any thread.

namespace nanokit {

void BlockStopSignals();
// Returns the signal number received.
int WaitForStopSignal();

}  // namespace nanokit
