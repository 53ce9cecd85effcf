#include "common/validate.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "nanokit/bridge/v1/events.pb.h"

namespace nanokit {

namespace v1 = nanokit::bridge::v1;

bool IsValidProjectName(absl::string_view name) {
  if (name.empty() || name.size() > 128 || !absl::ascii_isalnum(name[0])) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

bool IsValidResourceId(absl::string_view id) {
  if (id.empty() || id.size() > 256) return false;
  for (char c : id) {
    if (!absl::ascii_isgraph(c)) return false;
  }
  return true;
}

absl::Status ValidatePublishedEvent(const v1::Event& event) {
  if (!IsValidProjectName(event.project())) {
    return absl::InvalidArgumentError(absl::StrCat("invalid project name \"", event.project().substr(0, 64), "\""));
  }
  absl::string_view resource;
  switch (event.payload_case()) {
    case v1::Event::kStatusUpdate:
      resource = event.status_update().resource_id();
      if (!v1::Status_IsValid(event.status_update().status())) {
        return absl::InvalidArgumentError("status_update has an unknown status value");
      }
      break;
    case v1::Event::kLogStream:
      resource = event.log_stream().resource_id();
      break;
    case v1::Event::kReconcileStart:
      for (const auto& action : event.reconcile_start().actions()) {
        if (!IsValidResourceId(action.resource_id())) {
          return absl::InvalidArgumentError("reconcile_start action has an invalid resource_id");
        }
      }
      return absl::OkStatus();
    case v1::Event::kReconcileEnd:
      return absl::OkStatus();
    case v1::Event::PAYLOAD_NOT_SET:
      return absl::InvalidArgumentError(absl::StrCat("event source_seq=", event.source_seq(), " has no payload"));
  }
  if (!IsValidResourceId(resource)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid resource_id \"", resource.substr(0, 64), "\""));
  }
  return absl::OkStatus();
}

}  // namespace nanokit
