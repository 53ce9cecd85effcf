#include "protocol/validate.h"

#include "absl/strings/str_cat.h"
#include "nanokit/bridge/v1/events.pb.h"
#include "protocol/names.h"

namespace nanokit {

namespace v1 = nanokit::bridge::v1;

absl::Status ValidatePublishedEvent(const v1::Event& event) {
  if (auto status = protocol::CheckProjectName(event.project()); !status.ok()) return status;
  switch (event.payload_case()) {
    case v1::Event::kStatusUpdate:
      if (!v1::Status_IsValid(event.status_update().status())) {
        return absl::InvalidArgumentError("status_update has an unknown status value");
      }
      return protocol::CheckResourceId(event.status_update().resource_id());
    case v1::Event::kLogStream:
      return protocol::CheckResourceId(event.log_stream().resource_id());
    case v1::Event::kReconcileStart:
      for (const auto& action : event.reconcile_start().actions()) {
        if (!protocol::IsValidResourceId(action.resource_id())) {
          return absl::InvalidArgumentError(
              absl::StrCat("reconcile_start action has an invalid resource_id: ", protocol::kResourceIdRule));
        }
      }
      return absl::OkStatus();
    case v1::Event::kReconcileEnd:
      return absl::OkStatus();
    case v1::Event::PAYLOAD_NOT_SET:
      return absl::InvalidArgumentError(absl::StrCat("event source_seq=", event.source_seq(), " has no payload"));
  }
  return absl::InvalidArgumentError("unknown payload");
}

}  // namespace nanokit
