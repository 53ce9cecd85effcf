#include "oidc/session_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "auth/credentials.h"
#include "common/token.h"

namespace nanokit::oidc {

std::string SessionStore::KeyOf(absl::string_view session_id) {
  return absl::StrCat(kKeyPrefix, auth::TokenSha256(session_id));
}

absl::StatusOr<std::string> SessionStore::Create(Session session) {
  auto id = GenerateToken();
  if (!id.ok()) return id.status();
  auto shared = std::make_shared<const Session>(std::move(session));
  absl::MutexLock lock(&mu_);
  if (sessions_.size() >= max_sessions_) {
    auto first_to_end = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
      return a.second->expires < b.second->expires;
    });
    sessions_.erase(first_to_end);
  }
  sessions_[KeyOf(*id)] = std::move(shared);
  return id;
}

std::shared_ptr<const Session> SessionStore::Find(absl::string_view session_id, absl::Time now) const {
  if (session_id.empty()) return nullptr;
  return FindByKey(KeyOf(session_id), now);
}

std::shared_ptr<const Session> SessionStore::FindByKey(absl::string_view key, absl::Time now) const {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(key);
  if (it == sessions_.end() || now >= it->second->expires) return nullptr;
  return it->second;
}

void SessionStore::End(absl::string_view session_id) {
  absl::MutexLock lock(&mu_);
  sessions_.erase(KeyOf(session_id));
}

void SessionStore::EndByKey(absl::string_view key) {
  absl::MutexLock lock(&mu_);
  sessions_.erase(key);
}

void SessionStore::Update(absl::string_view key, Session session) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(key);
  if (it != sessions_.end()) it->second = std::make_shared<const Session>(std::move(session));
}

std::vector<std::pair<std::string, std::shared_ptr<const Session>>> SessionStore::DueForRefresh(absl::Time now) const {
  std::vector<std::pair<std::string, std::shared_ptr<const Session>>> due;
  absl::MutexLock lock(&mu_);
  for (const auto& [key, session] : sessions_) {
    if (!session->refresh_token.empty() && now >= session->refresh_at && now < session->expires) {
      due.emplace_back(key, session);
    }
  }
  return due;
}

void SessionStore::RemoveExpired(absl::Time now) {
  absl::MutexLock lock(&mu_);
  absl::erase_if(sessions_, [now](const auto& entry) { return now >= entry.second->expires; });
}

size_t SessionStore::size() const {
  absl::MutexLock lock(&mu_);
  return sessions_.size();
}

}  // namespace nanokit::oidc
