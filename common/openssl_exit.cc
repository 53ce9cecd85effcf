#include "common/openssl_exit.h"

#include <openssl/crypto.h>

namespace nanokit {

void SkipOpenSslExitCleanup() { OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr); }

namespace {

// 101: the first priority not reserved for the implementation, so this runs
// before the default-priority static initializers of the program.
__attribute__((constructor(101))) void SkipOpenSslExitCleanupAtLoad() { SkipOpenSslExitCleanup(); }

}  // namespace

}  // namespace nanokit
