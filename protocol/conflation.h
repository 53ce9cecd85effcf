#pragma once
// Conflation: which queued updates a newer one makes pointless to deliver.
// The gateway conflates what waits for a dashboard (ws_gateway/message.cc),
// the core library what waits for the hub during an outage
// (core_client/publish_buffer.cc); both ask this one rule.
//
// An update with a key (a resource's status, a project's heartbeat) is
// superseded by any newer update of the same key — except a removal, which is
// never superseded: it ends the resource, its logs and its kind, and a status
// after it starts a new resource. Merging across a removal would bring the
// old resource back. A removal does supersede the statuses before it.

#include "absl/strings/string_view.h"

#include "absl/container/flat_hash_set.h"

namespace nanokit::protocol {

enum class UpdateKind {
  kLatestWins,  // only the newest of its key matters (a status, a heartbeat)
  kRemoval,     // ends its key's resource; never dropped
};

// Feed the updates newest first; each answer says whether the update just
// fed may be dropped. Keys are not copied: they must outlive the Conflator.
class Conflator {
 public:
  bool Superseded(absl::string_view key, UpdateKind kind) {
    const bool newer_exists = !newer_.insert(key).second;
    return newer_exists && kind != UpdateKind::kRemoval;
  }

 private:
  absl::flat_hash_set<absl::string_view> newer_;
};

}  // namespace nanokit::protocol
