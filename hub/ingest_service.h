#pragma once

#include <atomic>

#include "common/token.h"
#include "hub/hub.h"
#include "nanokit/bridge/v1/ingest.grpc.pb.h"

namespace nanokit::hub {

// IngestService.Publish: one bidirectional stream per connected core.
class IngestService final : public bridge::v1::IngestService::CallbackService {
 public:
  IngestService(Hub* hub, Authenticator auth) : hub_(hub), auth_(std::move(auth)) {}

  grpc::ServerBidiReactor<bridge::v1::PublishRequest, bridge::v1::PublishResponse>* Publish(
      grpc::CallbackServerContext* context) override;

 private:
  Hub* const hub_;
  const Authenticator auth_;
  std::atomic<uint64_t> next_stream_id_{1};
};

}  // namespace nanokit::hub
