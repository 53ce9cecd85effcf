#pragma once
// One HTTP request to an identity provider — its discovery document, its
// keys (JWKS), its token endpoint — over HTTPS with the certificate chain
// and the host name verified (Beast on Asio SSL, Debian's OpenSSL 3).
// Plain http is accepted for loopback hosts only (a provider run beside the
// gateway in development and in tests). Blocking, with a deadline: it runs
// on the relying party's own thread, never on a connection's shard.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace nanokit::oidc {

struct FetchRequest {
  std::string method = "GET";  // or "POST"
  std::string url;             // https://HOST[:PORT]/PATH[?QUERY]
  std::vector<std::pair<std::string, std::string>> headers = {};
  std::string body = {};
  std::string content_type = {};
  // PEM file of the CAs to trust; empty: the system's (/etc/ssl/certs).
  std::string ca_file = {};
  absl::Duration timeout = absl::Seconds(10);
  // A longer response is an error (a provider's documents are small).
  size_t max_body_bytes = 1024 * 1024;
};

struct FetchResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

// Errors: INVALID_ARGUMENT for a URL we will not fetch (not https, or http
// to a host that is not loopback), UNAVAILABLE for a provider that cannot
// be reached, verified or read in time, naming the URL and why.
absl::StatusOr<FetchResponse> Fetch(const FetchRequest& request);

// The parts of an http(s) URL; an error for anything else.
struct Url {
  bool https = true;
  std::string host;  // without brackets for IPv6
  std::string port;  // "443" / "80" when absent
  std::string target;  // path and query, "/" when absent
};
absl::StatusOr<Url> ParseUrl(const std::string& url);
// 127.0.0.0/8, ::1 and localhost.
bool IsLoopbackHost(const std::string& host);

}  // namespace nanokit::oidc
