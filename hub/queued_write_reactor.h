#pragma once
// The write side that the hub's server-streaming RPCs share (Watch,
// WatchProjects): responses, each built once and shared by every watcher,
// wait in a bounded queue; one write is in flight at a time, the next one
// started from OnWriteDone; Finish is called once, after the write in
// flight, with the status End gave (CANCELLED when the client went away).
// Queue, Replace and End may be called from any thread, never with a lock
// that a reaction needs.

#include <deque>
#include <memory>
#include <optional>

#include <grpcpp/grpcpp.h>

#include "absl/synchronization/mutex.h"

namespace nanokit::hub {

template <typename Response>
class QueuedWriteReactor : public grpc::ServerWriteReactor<Response> {
 public:
  void OnWriteDone(bool ok) override {
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) closing_ = true;
      if (closing_ && !finished_) {
        finished_ = true;
        finish = end_status_.value_or(grpc::Status(grpc::StatusCode::CANCELLED, "stream ended"));
      }
    }
    if (finish) return this->Finish(*finish);
    MaybeWrite();
  }

  void OnCancel() override { End(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled")); }

 protected:
  // Queues a response; false, and nothing queued, when max_queued wait
  // already (the caller then Replaces them with a fresh start).
  bool Queue(std::shared_ptr<const Response> response, size_t max_queued) {
    {
      absl::MutexLock lock(&mu_);
      if (closing_) return true;
      if (queue_.size() >= max_queued) return false;
      queue_.push_back(std::move(response));
    }
    MaybeWrite();
    return true;
  }

  // Drops what waits and queues this instead. Returns whether anything was
  // dropped.
  bool Replace(std::shared_ptr<const Response> response) {
    bool dropped = false;
    {
      absl::MutexLock lock(&mu_);
      if (closing_) return false;
      dropped = !queue_.empty();
      queue_.clear();
      queue_.push_back(std::move(response));
    }
    MaybeWrite();
    return dropped;
  }

  // Ends the stream with this status, once the write in flight is done;
  // what waits is dropped. The first End wins.
  void End(grpc::Status status) {
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      if (closing_) return;
      closing_ = true;
      queue_.clear();
      end_status_ = status;
      finish = !writing_ && !finished_;
      if (finish) finished_ = true;
    }
    if (finish) this->Finish(status);
  }

 private:
  void MaybeWrite() {
    const Response* next = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || closing_ || queue_.empty()) return;
      in_flight_ = std::move(queue_.front());
      queue_.pop_front();
      writing_ = true;
      next = in_flight_.get();
    }
    this->StartWrite(next);
  }

  absl::Mutex mu_;
  std::deque<std::shared_ptr<const Response>> queue_ ABSL_GUARDED_BY(mu_);
  // Kept alive until its write completes (and until OnDone after that).
  std::shared_ptr<const Response> in_flight_;
  std::optional<grpc::Status> end_status_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace nanokit::hub
