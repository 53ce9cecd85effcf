#pragma once
// The one way our clients cancel a gRPC stream to the hub that may be ending
// on its own at the same moment (HubPublisher's Publish stream, the gateway's
// HubWatch). A callback reactor deletes itself in OnDone, so an owner may
// touch it only while it holds it: under its own lock, while it still sees
// the stream as current, the owner calls HoldForCancel(); then, without the
// lock (gRPC may react inline), CancelAndRelease(). The stream's OnDone
// cannot run before the release.

#include <grpcpp/grpcpp.h>

namespace nanokit {

template <typename Reactor>
class CancellableStream : public Reactor {
 public:
  void HoldForCancel() { this->AddHold(); }
  void CancelAndRelease() {
    context_.TryCancel();
    this->RemoveHold();
  }

 protected:
  grpc::ClientContext& context() { return context_; }

 private:
  grpc::ClientContext context_;
};

}  // namespace nanokit
