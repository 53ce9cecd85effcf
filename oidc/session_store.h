#pragma once
// Signed-in people: what the gateway keeps for each sign-in session. The
// browser holds only the session's id (256 random bits, in an HttpOnly
// cookie); the claims stay here (group lists can be large) and no token of
// the provider ever leaves the gateway. Sessions are found by the SHA-256
// of their id, which is also the key their connections follow, so a lookup
// never compares secrets. Bounded: past max_sessions the one that would
// end first is ended. Thread-safe.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <google/protobuf/struct.pb.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace nanokit::oidc {

struct Session {
  std::string user;  // the provider's issuer and subject: who this is
  std::string name;  // for display and logs: email, else username, else subject
  google::protobuf::Struct claims;
  absl::Time expires;
  // With --oidc-refresh: the provider's refresh token (never leaves the
  // gateway) and when the claims are due for a refresh (the ID token's exp).
  std::string refresh_token = {};
  absl::Time refresh_at = absl::InfiniteFuture();
};

class SessionStore {
 public:
  static constexpr absl::string_view kKeyPrefix = "session:";
  explicit SessionStore(size_t max_sessions) : max_sessions_(max_sessions) {}

  // The new session's id (the cookie's value).
  absl::StatusOr<std::string> Create(Session session);
  // The key connections follow a session by.
  static std::string KeyOf(absl::string_view session_id);
  // The session, when it exists and has not expired.
  std::shared_ptr<const Session> Find(absl::string_view session_id, absl::Time now) const;
  std::shared_ptr<const Session> FindByKey(absl::string_view key, absl::Time now) const;
  void End(absl::string_view session_id);
  void EndByKey(absl::string_view key);
  // Replaces a session's contents (fresh claims after a refresh); nothing
  // when it has ended meanwhile.
  void Update(absl::string_view key, Session session);
  // The keys and sessions due for a refresh at now.
  std::vector<std::pair<std::string, std::shared_ptr<const Session>>> DueForRefresh(absl::Time now) const;
  void RemoveExpired(absl::Time now);
  size_t size() const;

 private:
  const size_t max_sessions_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const Session>> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nanokit::oidc
