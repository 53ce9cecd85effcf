#pragma once
// The gateway's TLS server context: the certificate chain and key it serves
// HTTPS and WSS with (TLS 1.2 or later). Reload() reads the files again (on
// SIGHUP): connections accepted afterwards get the new pair, open ones keep
// theirs; a pair that fails to load leaves the last good one in place.
// Thread-safe.

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace nanokit::gateway {

class ServerTlsContext {
 public:
  // An error naming the flag and the file when the pair cannot be used.
  static absl::StatusOr<std::unique_ptr<ServerTlsContext>> Load(std::string cert_file, std::string key_file);

  absl::Status Reload();
  // For a new connection; it keeps the context alive as long as it needs it.
  std::shared_ptr<boost::asio::ssl::context> Current() const;

 private:
  ServerTlsContext(std::string cert_file, std::string key_file, std::shared_ptr<boost::asio::ssl::context> context)
      : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)), current_(std::move(context)) {}

  const std::string cert_file_;
  const std::string key_file_;
  mutable absl::Mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nanokit::gateway
