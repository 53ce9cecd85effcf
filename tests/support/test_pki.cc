#include "tests/support/test_pki.h"

#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/child_process.h"

namespace nanokit::testing {

namespace {

absl::Status OpenSsl(const std::vector<std::string>& args) {
  CommandResult result = RunCommand("/usr/bin/openssl", args);
  if (result.exit_code != 0) {
    return absl::InternalError(absl::StrCat("openssl ", absl::StrJoin(args, " "), ": ", result.err));
  }
  return absl::OkStatus();
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return out ? absl::OkStatus() : absl::InternalError("cannot write " + path);
}

// A key and a certificate signed by the CA, with these extensions.
absl::Status Issue(const std::string& ca_cert, const std::string& ca_key, const std::string& prefix,
                   const std::string& subject, const std::string& extensions, const std::string& cert,
                   const std::string& key) {
  const std::string csr = prefix + ".csr", ext = prefix + ".ext";
  if (auto s = WriteFile(ext, extensions); !s.ok()) return s;
  if (auto s = OpenSsl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                        key, "-out", csr, "-subj", subject});
      !s.ok()) {
    return s;
  }
  return OpenSsl({"x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
                  "-CAcreateserial", "-days", "1", "-sha256", "-extfile", ext, "-out", cert});
}

}  // namespace

absl::StatusOr<TestPki> MakeTestPki(const std::string& dir, const std::string& name) {
  const std::string prefix = dir + "/" + name;
  const std::string ca_key = prefix + "-ca-key.pem";
  TestPki pki;
  pki.ca_cert = prefix + "-ca.pem";
  pki.server_cert = prefix + "-server.pem";
  pki.server_key = prefix + "-server-key.pem";
  pki.client_cert = prefix + "-client.pem";
  pki.client_key = prefix + "-client-key.pem";
  pki.wrong_name_cert = prefix + "-wrong-name.pem";
  pki.wrong_name_key = prefix + "-wrong-name-key.pem";
  if (auto s = OpenSsl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                        ca_key, "-out", pki.ca_cert, "-days", "1", "-subj",
                        "/CN=nanokit test CA " + name, "-addext", "basicConstraints=critical,CA:TRUE",
                        "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
      !s.ok()) {
    return s;
  }
  if (auto s = Issue(pki.ca_cert, ca_key, prefix + "-server", "/CN=127.0.0.1",
                     "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n", pki.server_cert,
                     pki.server_key);
      !s.ok()) {
    return s;
  }
  if (auto s = Issue(pki.ca_cert, ca_key, prefix + "-client", "/CN=nanokit test client",
                     "extendedKeyUsage=clientAuth\n", pki.client_cert, pki.client_key);
      !s.ok()) {
    return s;
  }
  if (auto s = Issue(pki.ca_cert, ca_key, prefix + "-wrong-name", "/CN=idp.example",
                     "subjectAltName=DNS:idp.example\nextendedKeyUsage=serverAuth\n", pki.wrong_name_cert,
                     pki.wrong_name_key);
      !s.ok()) {
    return s;
  }
  return pki;
}

absl::StatusOr<FileServer> StartHttpsFileServer(const std::string& cert, const std::string& key,
                                                const std::string& root, const std::string& log_file, uint16_t port) {
  auto process = ChildProcess::Start(
      "/usr/bin/openssl",
      {"s_server", "-accept", absl::StrCat("127.0.0.1:", port), "-cert", cert, "-key", key, "-WWW"}, root, log_file);
  if (!process.ok()) return process.status();
  // It says "ACCEPT 127.0.0.1:PORT" once listening.
  for (int i = 0; i < 5; ++i) {
    auto line = (*process)->ReadLine(absl::Seconds(5));
    if (!line.ok()) break;
    uint32_t bound = 0;
    if (line->rfind("ACCEPT", 0) == 0 && absl::SimpleAtoi(line->substr(line->rfind(':') + 1), &bound)) {
      return FileServer{*std::move(process), static_cast<uint16_t>(bound)};
    }
  }
  return absl::InternalError("openssl s_server did not say its port");
}

}  // namespace nanokit::testing
