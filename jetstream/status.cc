#include "jetstream/status.h"

#include "absl/strings/str_cat.h"

namespace nanokit::jetstream {

absl::Status ToStatus(natsStatus status, jsErrCode error, absl::string_view what) {
  if (status == NATS_OK) return absl::OkStatus();
  const std::string message = absl::StrCat(what, ": ", natsStatus_GetText(status),
                                           error != 0 ? absl::StrCat(" (JetStream error ", error, ")") : "",
                                           nats_GetLastError(nullptr) ? absl::StrCat(": ", nats_GetLastError(nullptr)) : "");
  switch (error) {
    case JSStreamNotFoundErr:
    case JSNoMessageFoundErr:
      return absl::NotFoundError(message);
    case JSStreamWrongLastSequenceErr:
      return absl::FailedPreconditionError(message);
    case JSClusterNoPeersErr:
      return absl::UnavailableError(message);
    default:
      break;
  }
  switch (status) {
    case NATS_TIMEOUT:
    case NATS_NO_RESPONDERS:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NO_SERVER:
    case NATS_STALE_CONNECTION:
    case NATS_IO_ERROR:
      return absl::UnavailableError(message);
    case NATS_NOT_FOUND:
      return absl::NotFoundError(message);
    case NATS_INVALID_ARG:
      return absl::InvalidArgumentError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace nanokit::jetstream
