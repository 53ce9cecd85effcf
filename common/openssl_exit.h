#pragma once

namespace nanokit {

// Tells OpenSSL not to free its global state when the process exits.
//
// gRPC 1.51 does not join its event-engine threads before exit, and OpenSSL 3
// frees its global state in an atexit handler: a gRPC thread still releasing
// a TLS connection's state then races that handler, and the process aborts on
// its way out ("double free or corruption"), after its work was done and
// acknowledged. The memory goes back to the system at exit anyway. gRPC made
// the same change itself later (grpc/grpc#42608).
//
// Only the first initialization of OpenSSL decides, so this runs when the
// program is loaded, before every ordinary static initializer (Boost.Asio's
// SSL headers initialize OpenSSL in one). Whatever makes TLS credentials
// calls it too, which links it into every program that can need it.
void SkipOpenSslExitCleanup();

}  // namespace nanokit
