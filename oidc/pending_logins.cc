#include "oidc/pending_logins.h"

#include "common/token.h"

namespace nanokit::oidc {

absl::StatusOr<std::pair<std::string, PendingLogin>> PendingLogins::Begin(std::string return_to, absl::Time now) {
  auto login_id = GenerateToken();
  auto state = GenerateToken();
  auto nonce = GenerateToken();
  auto verifier = GenerateToken();
  for (const auto* random : {&login_id, &state, &nonce, &verifier}) {
    if (!random->ok()) return random->status();
  }
  PendingLogin login{*std::move(state), *std::move(nonce), *std::move(verifier), std::move(return_to), now};
  absl::MutexLock lock(&mu_);
  while (!order_.empty() && (logins_.size() >= max_pending_ || order_.size() > 2 * max_pending_)) {
    logins_.erase(order_.front());
    order_.pop_front();
  }
  logins_.emplace(*login_id, login);
  order_.push_back(*login_id);
  return std::pair{*std::move(login_id), std::move(login)};
}

std::optional<PendingLogin> PendingLogins::Take(absl::string_view login_id, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = logins_.find(login_id);
  if (it == logins_.end()) return std::nullopt;
  PendingLogin login = std::move(it->second);
  logins_.erase(it);
  if (now - login.started > lifetime_) return std::nullopt;
  return login;
}

}  // namespace nanokit::oidc
