// OpenSSL's global state must outlive the process's last gRPC thread: no
// OPENSSL_cleanup at exit (common/openssl_exit.h), even when something
// initializes OpenSSL the ordinary way after the program was loaded.
#include "common/openssl_exit.h"

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "gtest/gtest.h"

namespace nanokit {
namespace {

int cleanup_pipe = -1;

// Runs inside OPENSSL_cleanup, if it runs at all.
void TellTheParent() {
  const char byte = 'c';
  [[maybe_unused]] ssize_t n = write(cleanup_pipe, &byte, 1);
}

// Exits a child that initialized OpenSSL as Boost.Asio's SSL support does;
// true if OpenSSL cleaned up on the way out.
bool OpenSslCleansUpAtExit() {
  int fds[2];
  if (pipe(fds) != 0) ADD_FAILURE() << "pipe";
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    cleanup_pipe = fds[1];
    OPENSSL_init_ssl(0, nullptr);
    OPENSSL_atexit(&TellTheParent);
    std::exit(0);
  }
  close(fds[1]);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  char byte = 0;
  const bool cleaned = read(fds[0], &byte, 1) == 1;
  close(fds[0]);
  return cleaned;
}

TEST(OpenSslExitTest, AProgramThatLinksTheRuleDoesNotFreeOpenSslAtExit) {
  // Linking the rule in is what matters; it ran when this test was loaded.
  void (*volatile linked)() = &SkipOpenSslExitCleanup;
  (void)linked;
  EXPECT_FALSE(OpenSslCleansUpAtExit());
}

}  // namespace
}  // namespace nanokit
