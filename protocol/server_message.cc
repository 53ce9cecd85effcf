#include "protocol/server_message.h"

#include <google/protobuf/util/json_util.h>

namespace nanokit {

namespace v1 = nanokit::bridge::v1;

absl::string_view EventTypeName(v1::Event::PayloadCase payload) {
  switch (payload) {
    case v1::Event::kStatusUpdate: return "status_update";
    case v1::Event::kLogStream: return "log_stream";
    case v1::Event::kReconcileStart: return "reconcile_start";
    case v1::Event::kReconcileEnd: return "reconcile_end";
    case v1::Event::PAYLOAD_NOT_SET: return "";
  }
  return "";
}

v1::ServerMessage EventToServerMessage(const v1::Event& event) {
  v1::ServerMessage message;
  message.set_type(std::string(EventTypeName(event.payload_case())));
  message.set_project(event.project());
  message.set_seq(event.seq());
  if (event.has_emitted_at()) *message.mutable_emitted_at() = event.emitted_at();
  switch (event.payload_case()) {
    case v1::Event::kStatusUpdate: *message.mutable_status_update() = event.status_update(); break;
    case v1::Event::kLogStream: *message.mutable_log_stream() = event.log_stream(); break;
    case v1::Event::kReconcileStart: *message.mutable_reconcile_start() = event.reconcile_start(); break;
    case v1::Event::kReconcileEnd: *message.mutable_reconcile_end() = event.reconcile_end(); break;
    case v1::Event::PAYLOAD_NOT_SET: break;
  }
  return message;
}

bool ServerMessageToEvent(const v1::ServerMessage& message, v1::Event* event) {
  event->Clear();
  event->set_project(message.project());
  event->set_seq(message.seq());
  if (message.has_emitted_at()) *event->mutable_emitted_at() = message.emitted_at();
  switch (message.payload_case()) {
    case v1::ServerMessage::kStatusUpdate: *event->mutable_status_update() = message.status_update(); return true;
    case v1::ServerMessage::kLogStream: *event->mutable_log_stream() = message.log_stream(); return true;
    case v1::ServerMessage::kReconcileStart: *event->mutable_reconcile_start() = message.reconcile_start(); return true;
    case v1::ServerMessage::kReconcileEnd: *event->mutable_reconcile_end() = message.reconcile_end(); return true;
    default: return false;
  }
}

v1::ServerMessage SnapshotMessage(const v1::ProjectSnapshot& snapshot) {
  v1::ServerMessage message;
  message.set_type("snapshot");
  message.set_project(snapshot.project());
  message.set_seq(snapshot.seq());
  message.set_epoch(snapshot.epoch());
  *message.mutable_snapshot() = snapshot;
  return message;
}

v1::ServerMessage ErrorMessage(absl::string_view code, absl::string_view text) {
  v1::ServerMessage message;
  message.set_type("error");
  message.mutable_error()->set_code(std::string(code));
  message.mutable_error()->set_message(std::string(text));
  return message;
}

std::string JsonWithMessages(const v1::ServerMessage& header, const std::vector<absl::string_view>& messages) {
  std::string json = ToJson(header);
  if (messages.empty()) return json;
  size_t size = json.size() + 16;
  for (absl::string_view m : messages) size += m.size() + 1;
  json.reserve(size);
  json.pop_back();  // the closing brace
  json += ",\"messages\":[";
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i > 0) json += ',';
    json.append(messages[i].data(), messages[i].size());
  }
  json += "]}";
  return json;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  // Default options: the canonical form every protobuf library parses.
  (void)google::protobuf::util::MessageToJsonString(message, &out);
  return out;
}

}  // namespace nanokit
