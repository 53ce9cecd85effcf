#pragma once
// Building the WebSocket protocol's ServerMessage and its canonical JSON.

#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "nanokit/bridge/v1/events.pb.h"
#include "nanokit/bridge/v1/watch.pb.h"
#include "nanokit/bridge/v1/websocket.pb.h"

namespace nanokit {

// "status_update", "log_stream", "reconcile_start", "reconcile_end", or "".
absl::string_view EventTypeName(bridge::v1::Event::PayloadCase payload);

// The flat ServerMessage for one hub event.
bridge::v1::ServerMessage EventToServerMessage(const bridge::v1::Event& event);
// The reverse, for clients merging what they receive. False if message is
// not one of the four event types.
bool ServerMessageToEvent(const bridge::v1::ServerMessage& message, bridge::v1::Event* event);

bridge::v1::ServerMessage SnapshotMessage(const bridge::v1::ProjectSnapshot& snapshot);
bridge::v1::ServerMessage ErrorMessage(absl::string_view code, absl::string_view text);

// The canonical JSON of header with its "messages" set to the given
// messages, each already canonical JSON: the header is printed by protobuf and
// the messages spliced into its array, which is byte for byte what the
// printer writes for the whole message, without parsing them again.
std::string JsonWithMessages(const bridge::v1::ServerMessage& header, const std::vector<absl::string_view>& messages);

// Canonical proto3 JSON: what protobuf's printer writes with default options.
std::string ToJson(const google::protobuf::Message& message);

}  // namespace nanokit
