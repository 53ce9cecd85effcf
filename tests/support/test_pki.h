#pragma once
// Certificates for one test, made with Debian's openssl: a CA, a server
// certificate for 127.0.0.1 and localhost, and a client certificate, each
// with its key. TLS in the tests is real TLS with real verification; only
// the CA is the test's own.

#include <string>

#include "absl/status/statusor.h"

namespace nanokit::testing {

struct TestPki {
  std::string ca_cert;
  std::string server_cert;
  std::string server_key;
  std::string client_cert;
  std::string client_key;
};

// Writes DIR/NAME-ca.pem, DIR/NAME-server.pem, DIR/NAME-server-key.pem,
// DIR/NAME-client.pem and DIR/NAME-client-key.pem (EC P-256, valid a day).
// Two calls with different names make two unrelated CAs.
absl::StatusOr<TestPki> MakeTestPki(const std::string& dir, const std::string& name);

}  // namespace nanokit::testing
