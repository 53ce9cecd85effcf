#pragma once
// Certificates for one test, made with Debian's openssl: a CA, a server
// certificate for 127.0.0.1 and localhost, and a client certificate, each
// with its key. TLS in the tests is real TLS with real verification; only
// the CA is the test's own.

#include <cstdint>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "absl/status/statusor.h"
#include "tests/support/stack.h"

namespace nanokit::testing {

struct TestPki {
  std::string ca_cert;
  std::string server_cert;
  std::string server_key;
  std::string client_cert;
  std::string client_key;
  // A server certificate of the same CA for idp.example only: right
  // chain, wrong name for a client dialling 127.0.0.1.
  std::string wrong_name_cert;
  std::string wrong_name_key;
};

// Writes DIR/NAME-ca.pem, DIR/NAME-server.pem, DIR/NAME-server-key.pem,
// DIR/NAME-client.pem and DIR/NAME-client-key.pem, DIR/NAME-wrong-name.pem
// and its key (EC P-256, valid a day).
// Two calls with different names make two unrelated CAs.
absl::StatusOr<TestPki> MakeTestPki(const std::string& dir, const std::string& name);

// An HTTPS server on 127.0.0.1 with this certificate: Debian's `openssl
// s_server -WWW`, serving the files of root (what an identity provider
// serves, for the tests of oidc/). port 0 picks one.
struct FileServer {
  std::unique_ptr<ChildProcess> process;
  uint16_t port = 0;
};
absl::StatusOr<FileServer> StartHttpsFileServer(const std::string& cert, const std::string& key,
                                                const std::string& root, const std::string& log_file,
                                                uint16_t port = 0);

// A test with a stack and two unrelated CAs in its folder: pki_ (the one
// the servers use) and other_ (a stranger, or the renewal).
class TwoCaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = MakeTestPki(stack_.dir().path(), "a");
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = *pki;
    auto other = MakeTestPki(stack_.dir().path(), "b");
    ASSERT_TRUE(other.ok()) << other.status();
    other_ = *other;
  }

  TestStack stack_;
  TestPki pki_;
  TestPki other_;
};

}  // namespace nanokit::testing
