#include "jetstream/connection.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "jetstream/status.h"

namespace nanokit::jetstream {

absl::StatusOr<std::vector<std::string>> ParseServers(const std::string& list) {
  std::vector<std::string> servers;
  for (absl::string_view server : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    server = absl::StripAsciiWhitespace(server);
    if (!absl::StartsWith(server, "nats://") && !absl::StartsWith(server, "tls://")) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", server, "\" is not a NATS URL (nats://HOST:PORT or tls://HOST:PORT)"));
    }
    servers.emplace_back(server);
  }
  if (servers.empty()) return absl::InvalidArgumentError("no NATS server given");
  return servers;
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Connect(const ConnectionOptions& options) {
  if (options.servers.empty()) return absl::InvalidArgumentError("no NATS server given");
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  std::vector<const char*> servers;
  for (const std::string& server : options.servers) servers.push_back(server.c_str());
  if (s == NATS_OK) s = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts, options.name.c_str());
  // Through a node's death and an election: reconnect forever, quickly; the
  // requests themselves time out and are retried by their callers.
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 100);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, absl::ToInt64Milliseconds(options.request_timeout));
  if (s == NATS_OK && !options.credentials_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(opts, options.credentials_file.c_str(), nullptr);
  }
  if (s == NATS_OK && !options.ca_file.empty()) {
    s = natsOptions_SetSecure(opts, true);
    if (s == NATS_OK) s = natsOptions_LoadCATrustedCertificates(opts, options.ca_file.c_str());
  }
  natsConnection* nc = nullptr;
  if (s == NATS_OK) s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) return ToStatus(s, static_cast<jsErrCode>(0), "connecting to NATS");

  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = absl::ToInt64Milliseconds(options.request_timeout);
  jsCtx* js = nullptr;
  s = natsConnection_JetStream(&js, nc, &js_options);
  if (s != NATS_OK) {
    natsConnection_Destroy(nc);
    return ToStatus(s, static_cast<jsErrCode>(0), "opening JetStream");
  }
  return std::unique_ptr<Connection>(new Connection(nc, js, options.request_timeout));
}

Connection::~Connection() {
  jsCtx_Destroy(js_);
  natsConnection_Close(nc_);
  natsConnection_Destroy(nc_);
}

}  // namespace nanokit::jetstream
