#pragma once
// Messages as the gateway encodes them, for the tests of its conflation,
// frames and outbound queue.

#include <cstdint>
#include <string>

#include "ws_gateway/encoded_message.h"

namespace nanokit::gateway::test_messages {

inline EncodedMessagePtr Status(const std::string& resource, uint64_t seq, bool removed = false) {
  bridge::v1::ServerMessage message;
  message.set_type("status_update");
  message.set_project("demo");
  message.set_seq(seq);
  message.mutable_status_update()->set_resource_id(resource);
  message.mutable_status_update()->set_message("m" + std::to_string(seq));
  message.mutable_status_update()->set_removed(removed);
  return EncodeMessage(message);
}

// `lines` lines of output, telling of `dropped` lines lost before them.
inline EncodedMessagePtr Log(const std::string& resource, uint64_t seq, size_t lines = 1, uint64_t dropped = 0) {
  bridge::v1::ServerMessage message;
  message.set_type("log_stream");
  message.set_project("demo");
  message.set_seq(seq);
  message.mutable_log_stream()->set_resource_id(resource);
  for (size_t i = 0; i < lines; ++i) message.mutable_log_stream()->add_lines("line " + std::to_string(seq));
  message.mutable_log_stream()->set_dropped_lines(dropped);
  return EncodeMessage(message);
}

inline EncodedMessagePtr Heartbeat(uint64_t seq) {
  bridge::v1::ServerMessage message;
  message.set_type("heartbeat");
  message.set_project("demo");
  message.set_seq(seq);
  message.mutable_heartbeat()->add_projects()->set_seq(seq);
  return EncodeMessage(message);
}

}  // namespace nanokit::gateway::test_messages
