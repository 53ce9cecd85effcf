#pragma once

#include <atomic>

#include "auth/access_control.h"
#include "hub/hub.h"
#include "nanokit/bridge/v1/ingest.grpc.pb.h"

namespace nanokit::hub {

// IngestService.Publish: one bidirectional stream per connected core. The
// caller's token must allow publishing; each request is refused whole
// (PERMISSION_DENIED, ending the stream) when one of its projects is not the
// token's, and the stream ends (UNAUTHENTICATED) when the token is revoked
// or expires.
class IngestService final : public bridge::v1::IngestService::CallbackService {
 public:
  // access must outlive the service.
  IngestService(Hub* hub, auth::AccessControl* access) : hub_(hub), access_(access) {}

  grpc::ServerBidiReactor<bridge::v1::PublishRequest, bridge::v1::PublishResponse>* Publish(
      grpc::CallbackServerContext* context) override;

 private:
  Hub* const hub_;
  auth::AccessControl* const access_;
  std::atomic<uint64_t> next_stream_id_{1};
};

}  // namespace nanokit::hub
