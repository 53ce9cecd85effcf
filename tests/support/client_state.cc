#include "tests/support/client_state.h"

#include <google/protobuf/util/message_differencer.h>

#include "absl/strings/str_cat.h"
#include "protocol/server_message.h"

namespace nanokit::testing {

namespace v1 = nanokit::bridge::v1;

absl::Status ClientState::ApplyEvent(const v1::ServerMessage& message) {
  auto it = projects_.find(message.project());
  if (it == projects_.end()) {
    return absl::FailedPreconditionError(absl::StrCat(message.type(), " for ", message.project(), " before its snapshot"));
  }
  ProjectState& state = it->second;
  // Seqs only grow. They may skip: a status update superseded by a newer
  // one of the same resource is not sent (conflation).
  if (message.seq() <= state.seq()) {
    return absl::DataLossError(absl::StrCat(message.project(), ": seq ", message.seq(), " after ", state.seq(),
                                            " (", message.type(), "): a duplicate or out of order"));
  }
  v1::Event event;
  if (!ServerMessageToEvent(message, &event)) return absl::InvalidArgumentError("not an event");
  state.Apply(event);
  ++events_;
  return absl::OkStatus();
}

absl::Status ClientState::Apply(const v1::ServerMessage& message) {
  const std::string& type = message.type();
  if (type == "snapshot") {
    if (!message.has_snapshot()) return absl::InvalidArgumentError("snapshot without payload");
    if (message.seq() != message.snapshot().seq() || message.epoch() != message.snapshot().epoch()) {
      return absl::InvalidArgumentError("snapshot header disagrees with its payload");
    }
    projects_.erase(message.project());
    projects_.emplace(message.project(), ProjectState::FromSnapshot(message.snapshot()));
    ++snapshots_;
    return absl::OkStatus();
  }
  if (type == "resumed") {
    auto it = projects_.find(message.project());
    if (it == projects_.end()) return absl::FailedPreconditionError("resumed a project never seen");
    if (it->second.epoch() != message.epoch()) return absl::DataLossError("resumed in another epoch");
    for (const v1::ServerMessage& missed : message.messages()) {
      if (auto status = ApplyEvent(missed); !status.ok()) return status;
    }
    if (it->second.seq() != message.seq()) {
      return absl::DataLossError(absl::StrCat("resumed to seq ", message.seq(), " but the messages end at ",
                                              it->second.seq()));
    }
    ++resumes_;
    return absl::OkStatus();
  }
  if (type == "batch") {
    ++batches_;
    for (const v1::ServerMessage& inner : message.messages()) {
      if (auto status = Apply(inner); !status.ok()) return status;
    }
    return absl::OkStatus();
  }
  if (type == "status_update" || type == "log_stream" || type == "reconcile_start" || type == "reconcile_end") {
    return ApplyEvent(message);
  }
  if (type == "heartbeat" || type == "error") return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("unknown server message type \"", type, "\""));
}

std::string DiffSnapshots(const v1::ProjectSnapshot& expected, const v1::ProjectSnapshot& actual) {
  v1::ProjectSnapshot a = expected;
  v1::ProjectSnapshot b = actual;
  for (auto* s : {&a, &b}) {
    s->clear_core_connected();
    s->clear_core_changed_at();
  }
  google::protobuf::util::MessageDifferencer differencer;
  std::string report;
  differencer.ReportDifferencesToString(&report);
  if (differencer.Compare(a, b)) return "";
  return report.empty() ? "differ" : report.substr(0, 4000);
}

}  // namespace nanokit::testing
