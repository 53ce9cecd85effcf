#pragma once
// What a dashboard asks in one text frame, parsed and checked without a
// socket: a subscribe to a valid project (with where to resume from), an
// unsubscribe, following the list of projects, or a fresh token — or the error to answer
// with. WebSocketSession acts on it;
// the fuzzer (fuzz/client_request_fuzz.cc) feeds it anything.

#include <cstdint>
#include <string>
#include <variant>

#include "absl/strings/string_view.h"
#include "nanokit/bridge/v1/websocket.pb.h"

namespace nanokit::gateway {

struct ClientRequest {
  enum class Kind { kSubscribe, kUnsubscribe, kWatchProjects, kUnwatchProjects, kAuth };
  Kind kind;
  std::string project;
  // To resume a subscription; empty epoch asks for a snapshot.
  std::string epoch;
  uint64_t after_seq = 0;
  // On kAuth.
  std::string token = {};
};

// The request, or the "error" ServerMessage to reply with: invalid_json,
// unknown_type, or invalid_project (for a subscribe).
std::variant<ClientRequest, bridge::v1::ServerMessage> ParseClientRequest(absl::string_view text);

}  // namespace nanokit::gateway
