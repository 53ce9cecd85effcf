#include "auth/access_control.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/failure_reason.h"
#include "common/log.h"
#include "common/token.h"

namespace nanokit::auth {

std::optional<absl::string_view> BearerToken(absl::string_view authorization) {
  constexpr absl::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(authorization.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  return absl::StripAsciiWhitespace(authorization.substr(kScheme.size()));
}

struct GrantFollower::Shared {
  std::string token_key;
  // The thread inside on_change, so that a follower destroyed from there
  // does not wait for itself.
  std::atomic<std::thread::id> calling{};
  std::atomic<bool> cancelled{false};
  absl::Mutex mu;
  AccessControl::OnGrantChange on_change ABSL_GUARDED_BY(mu);
  GrantPtr current ABSL_GUARDED_BY(mu);
};

GrantFollower::~GrantFollower() {
  if (shared_->calling.load() == std::this_thread::get_id()) {
    shared_->cancelled = true;  // the caller drops on_change once it returns
    return;
  }
  absl::MutexLock lock(&shared_->mu);
  shared_->on_change = nullptr;
}

AccessControl::AccessControl(bool enabled, AccessOptions options)
    : enabled_(enabled), options_(std::move(options)), credentials_(std::make_shared<CredentialSet>()) {}

std::unique_ptr<AccessControl> AccessControl::Disabled() {
  return std::unique_ptr<AccessControl>(new AccessControl(false, {}));
}

absl::StatusOr<std::unique_ptr<AccessControl>> AccessControl::Create(AccessOptions options) {
  std::unique_ptr<AccessControl> access(new AccessControl(true, std::move(options)));
  if (!access->has_credentials_file()) {
    if (access->has_external()) access->reloader_ = std::thread([raw = access.get()] { raw->RunReloads(); });
    return access;
  }
  auto read = access->ReadFile();
  if (!read.ok() && !absl::IsNotFound(read.status())) return read.status();
  {
    absl::MutexLock lock(&access->mu_);
    if (read.ok()) {
      access->credentials_ = *read;
      access->file_present_ = true;
      log::Info("credentials: ", access->credentials_->credentials().size(), " scoped tokens from ",
                access->options_.credentials_file);
    } else {
      log::Info("credentials: no file at ", access->options_.credentials_file,
                " yet; scoped tokens are accepted once `nanokit token create` writes it");
    }
  }
  access->reloader_ = std::thread([raw = access.get()] { raw->RunReloads(); });
  return access;
}

AccessControl::~AccessControl() {
  stop_.Notify();
  if (reloader_.joinable()) reloader_.join();
}

absl::StatusOr<std::shared_ptr<const CredentialSet>> AccessControl::ReadFile() {
  const std::string& path = options_.credentials_file;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no credentials file at ", path));
    return absl::PermissionDeniedError(absl::StrCat("cannot read the credentials file ", path, ": ",
                                                    std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read the credentials file ", path));
  {
    absl::MutexLock lock(&mu_);
    if (file_present_ && text.str() == file_text_) return credentials_;
  }
  auto parsed = CredentialSet::Parse(text.str());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the credentials file ", path, ": ", parsed.status().message()));
  }
  absl::MutexLock lock(&mu_);
  file_text_ = text.str();
  return std::make_shared<const CredentialSet>(*std::move(parsed));
}

void AccessControl::ReloadNow() {
  if (!has_credentials_file() && !has_external()) return;
  if (has_external()) options_.external->Reload();
  if (has_credentials_file()) {
    absl::MutexLock reload(&reload_mu_);
    auto read = ReadFile();
    absl::MutexLock lock(&mu_);
    if (read.ok()) {
      if (*read != credentials_) {
        log::Info("credentials: read ", (*read)->credentials().size(), " scoped tokens from ",
                  options_.credentials_file);
      }
      credentials_ = *read;
      file_present_ = true;
      last_error_.clear();
    } else if (absl::IsNotFound(read.status())) {
      if (file_present_) {
        log::Warn("credentials: ", options_.credentials_file, " is gone; every scoped token is refused");
      }
      credentials_ = std::make_shared<CredentialSet>();
      file_present_ = false;
      file_text_.clear();
      last_error_.clear();
    } else if (read.status().message() != last_error_) {
      last_error_ = std::string(read.status().message());
      log::Warn("credentials: ", last_error_, "; keeping the last good ones (", credentials_->credentials().size(),
                " scoped tokens)");
    }
  }
  NotifyFollowers();
}

void AccessControl::RunReloads() {
  while (!stop_.WaitForNotificationWithTimeout(options_.reload_interval)) ReloadNow();
}

absl::StatusOr<Identity> AccessControl::Authenticate(absl::string_view token) const {
  if (!enabled_) return Identity{Grant::Admin(), ""};
  if (token.empty()) return Unauthenticated(kRefusedMissing, "no token");
  if (!options_.admin_token.empty() && ConstantTimeEquals(token, options_.admin_token)) {
    return Identity{Grant::Admin(), ""};
  }
  if (has_external() && options_.external->Recognizes(token)) return options_.external->Authenticate(token);
  std::shared_ptr<const CredentialSet> set;
  {
    absl::MutexLock lock(&mu_);
    set = credentials_;
  }
  const Credential* credential = set->FindByToken(token);
  if (credential == nullptr) return absl::UnauthenticatedError("unknown or revoked token");
  if (credential->ExpiredAt(options_.clock->Now())) {
    return Unauthenticated(kRefusedExpired, absl::StrCat("the token \"", credential->name, "\" expired at ",
                                                         FormatExpiry(credential->expires)));
  }
  return Identity{Grant::For(*credential), credential->token_sha256};
}

absl::StatusOr<Identity> AccessControl::AuthenticateBearer(absl::string_view authorization) const {
  if (!enabled_) return Identity{Grant::Admin(), ""};
  if (authorization.empty()) return Unauthenticated(kRefusedMissing, "no token");
  auto token = BearerToken(authorization);
  if (!token) return absl::UnauthenticatedError("not a bearer token: send \"Bearer <token>\"");
  return Authenticate(*token);
}

absl::StatusOr<Identity> AccessControl::AuthenticateSession(absl::string_view session_id) const {
  if (!enabled_) return Identity{Grant::Admin(), ""};
  if (!has_external()) return absl::UnauthenticatedError("sign-in is off");
  return options_.external->AuthenticateSession(session_id);
}

void AccessControl::RefreshKeys() const {
  if (has_external()) options_.external->RefreshKeys();
}

std::unique_ptr<GrantFollower> AccessControl::Follow(const Identity& identity, OnGrantChange on_change) {
  if (identity.token_key.empty()) return nullptr;
  auto shared = std::make_shared<GrantFollower::Shared>();
  shared->token_key = identity.token_key;
  {
    absl::MutexLock lock(&shared->mu);
    shared->on_change = std::move(on_change);
    shared->current = identity.grant;
  }
  absl::MutexLock lock(&mu_);
  followers_.push_back(shared);
  return std::unique_ptr<GrantFollower>(new GrantFollower(std::move(shared)));
}

GrantPtr AccessControl::CurrentGrant(const CredentialSet& set, absl::string_view token_key) const {
  if (has_external() && options_.external->Owns(token_key)) {
    return options_.external->CurrentGrant(token_key, options_.clock->Now());
  }
  for (const Credential& credential : set.credentials()) {
    if (credential.token_sha256 != token_key) continue;
    if (credential.ExpiredAt(options_.clock->Now())) return nullptr;
    return Grant::For(credential);
  }
  return nullptr;
}

void AccessControl::NotifyFollowers() {
  std::shared_ptr<const CredentialSet> set;
  std::vector<std::shared_ptr<GrantFollower::Shared>> followers;
  {
    absl::MutexLock lock(&mu_);
    set = credentials_;
    std::vector<std::weak_ptr<GrantFollower::Shared>> live;
    for (auto& weak : followers_) {
      if (auto follower = weak.lock()) {
        followers.push_back(follower);
        live.push_back(std::move(weak));
      }
    }
    followers_ = std::move(live);
  }
  for (const auto& follower : followers) {
    GrantPtr now = CurrentGrant(*set, follower->token_key);
    absl::MutexLock lock(&follower->mu);
    if (!follower->on_change || follower->cancelled) continue;
    if (now != nullptr && follower->current != nullptr && now->SameScope(*follower->current)) continue;
    if (now == nullptr && follower->current == nullptr) continue;
    follower->current = now;
    follower->calling = std::this_thread::get_id();
    follower->on_change(now);
    follower->calling = std::thread::id();
    // Ended, or its owner went away from inside the call: no more calls.
    if (now == nullptr || follower->cancelled) follower->on_change = nullptr;
  }
}

}  // namespace nanokit::auth
