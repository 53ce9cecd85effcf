#include "ws_gateway/server_tls_context.h"

#include "absl/strings/str_cat.h"
#include "common/pem.h"

namespace nanokit::gateway {

namespace ssl = boost::asio::ssl;

namespace {

absl::StatusOr<std::shared_ptr<ssl::context>> MakeContext(const std::string& cert_file, const std::string& key_file) {
  if (auto status = CheckPemFile("--tls-cert", cert_file); !status.ok()) return status;
  if (auto status = CheckPemFile("--tls-key", key_file); !status.ok()) return status;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  // TLS 1.2 and 1.3 only; no compression, no renegotiation by the peer.
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                           SSL_OP_NO_RENEGOTIATION,
                       ec);
  if (!ec) context->use_certificate_chain_file(cert_file, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--tls-cert: ", cert_file, ": ", ec.message()));
  context->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("--tls-key: ", key_file, ": ", ec ? ec.message() : "no match",
                                                   " (it must be the key of the certificate in ", cert_file, ")"));
  }
  return context;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerTlsContext>> ServerTlsContext::Load(std::string cert_file,
                                                                         std::string key_file) {
  auto context = MakeContext(cert_file, key_file);
  if (!context.ok()) return context.status();
  return std::unique_ptr<ServerTlsContext>(
      new ServerTlsContext(std::move(cert_file), std::move(key_file), *std::move(context)));
}

absl::Status ServerTlsContext::Reload() {
  auto context = MakeContext(cert_file_, key_file_);
  if (!context.ok()) return context.status();
  absl::MutexLock lock(&mu_);
  current_ = *std::move(context);
  return absl::OkStatus();
}

std::shared_ptr<ssl::context> ServerTlsContext::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

}  // namespace nanokit::gateway
