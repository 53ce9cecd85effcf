#include "oidc/relying_party.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/credentials.h"
#include "auth/json_object.h"
#include "common/log.h"
#include "common/token.h"
#include "oidc/form.h"
#include "oidc/https_fetch.h"

namespace nanokit::oidc {

namespace pb = google::protobuf;

namespace {

constexpr absl::string_view kBearerKeyPrefix = "jwt:";

}  // namespace

std::string LocalReturnPath(absl::string_view return_to) {
  if (!absl::StartsWith(return_to, "/") || absl::StartsWith(return_to, "//") ||
      absl::StartsWith(return_to, "/\\")) {
    return "/";
  }
  for (char c : return_to) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "/";
  }
  return std::string(return_to);
}

namespace {

std::string CodeChallenge(const std::string& verifier) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest);
  return absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

absl::StatusOr<std::string> OriginOf(const std::string& url) {
  auto parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.status();
  if (parsed->target != "/") {
    return absl::InvalidArgumentError(
        absl::StrCat(url, " has a path: give the gateway's own origin, e.g. https://dash.example"));
  }
  const bool default_port = parsed->port == (parsed->https ? "443" : "80");
  const std::string host = absl::StrContains(parsed->host, ':') ? absl::StrCat("[", parsed->host, "]") : parsed->host;
  return absl::StrCat(parsed->https ? "https://" : "http://", absl::AsciiStrToLower(host),
                      default_port ? "" : absl::StrCat(":", parsed->port));
}

absl::Status CheckHttpsOrLoopback(absl::string_view what, const std::string& url) {
  auto parsed = ParseUrl(url);
  if (!parsed.ok()) return absl::InvalidArgumentError(absl::StrCat(what, ": ", parsed.status().message()));
  if (!parsed->https && !IsLoopbackHost(parsed->host)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", url, " must be https (http only on loopback)"));
  }
  return absl::OkStatus();
}

std::optional<absl::Time> ExpiryOf(const pb::Struct& claims) {
  const pb::Value* exp = auth::FindField(claims, "exp");
  if (exp == nullptr || !exp->has_number_value()) return std::nullopt;
  return absl::FromUnixSeconds(static_cast<int64_t>(exp->number_value()));
}

}  // namespace

std::string DisplayName(const pb::Struct& claims) {
  for (const char* field : {"email", "preferred_username", "sub"}) {
    std::string value = auth::StringField(claims, field);
    if (!value.empty()) return value;
  }
  return "unknown";
}

absl::Status CheckRelyingPartyOptions(const RelyingPartyOptions& options) {
  if (options.public_url.empty()) return absl::InvalidArgumentError("--public-url is required with --oidc-issuer");
  if (auto status = CheckHttpsOrLoopback("--public-url", options.public_url); !status.ok()) return status;
  if (auto origin = OriginOf(options.public_url); !origin.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--public-url: ", origin.status().message()));
  }
  if (auto status = CheckHttpsOrLoopback("--oidc-issuer", options.issuer); !status.ok()) return status;
  if (options.client_id.empty()) return absl::InvalidArgumentError("--oidc-client-id is required with --oidc-issuer");
  if (options.client_secret.empty()) {
    return absl::InvalidArgumentError("--oidc-client-secret-file is required with --oidc-issuer");
  }
  if (options.access_map_file.empty()) {
    return absl::InvalidArgumentError(
        "--access-map is required with --oidc-issuer: without one nobody who signs in may see anything");
  }
  if (options.session_max_age <= absl::ZeroDuration()) return absl::InvalidArgumentError("--session-max-age: > 0");
  if (options.clock_skew < absl::ZeroDuration()) return absl::InvalidArgumentError("--clock-skew: >= 0");
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<RelyingParty>> RelyingParty::Create(RelyingPartyOptions options) {
  if (auto status = CheckRelyingPartyOptions(options); !status.ok()) return status;
  auto access_map = auth::AccessMapFile::Load(options.access_map_file);
  if (!access_map.ok()) return absl::InvalidArgumentError(absl::StrCat("--access-map: ", access_map.status().message()));
  std::shared_ptr<RelyingParty> party(new RelyingParty(std::move(options), *std::move(access_map)));
  party->discovery_ = std::thread([raw = party.get()] { raw->RunDiscovery(); });
  if (party->options_.refresh) party->refresher_ = std::thread([raw = party.get()] { raw->RunRefreshes(); });
  return party;
}

RelyingParty::RelyingParty(RelyingPartyOptions options, std::unique_ptr<auth::AccessMapFile> access_map)
    : options_(std::move(options)),
      public_origin_(*OriginOf(options_.public_url)),
      redirect_uri_(public_origin_ + kCallbackPath),
      access_map_(std::move(access_map)),
      logins_(options_.login_lifetime, options_.max_pending_logins),
      sessions_(options_.max_sessions) {}

RelyingParty::~RelyingParty() {
  stop_.Notify();
  if (discovery_.joinable()) discovery_.join();
  if (refresher_.joinable()) refresher_.join();
}

void RelyingParty::RunDiscovery() {
  absl::Duration backoff = absl::Seconds(1);
  std::string last_error;
  while (!stop_.HasBeenNotified()) {
    auto provider = Provider::Discover({.issuer = options_.issuer,
                                        .ca_file = options_.ca_file,
                                        .min_refetch_interval = options_.min_key_refetch_interval,
                                        .clock = options_.clock});
    if (provider.ok()) {
      log::Info("oidc: sign-in through ", options_.issuer, " is ready; register the redirect URI ", redirect_uri_);
      absl::MutexLock lock(&mu_);
      provider_ = *std::move(provider);
      return;
    }
    if (provider.status().message() != last_error) {
      last_error = std::string(provider.status().message());
      log::Warn("oidc: the identity provider ", options_.issuer, " cannot be used yet: ", last_error,
                "; retrying (sign-in answers 503 until then)");
    }
    stop_.WaitForNotificationWithTimeout(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(30));
  }
}

std::shared_ptr<Provider> RelyingParty::provider() const {
  absl::MutexLock lock(&mu_);
  return provider_;
}

bool RelyingParty::ready() const { return provider() != nullptr; }

bool RelyingParty::WaitUntilReady(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto discovered = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return provider_ != nullptr; };
  return mu_.AwaitWithTimeout(absl::Condition(&discovered), timeout);
}

auth::JwtExpectations RelyingParty::Expect(std::string audience, std::string nonce) const {
  auto provider = this->provider();
  return {.issuer = provider->metadata().issuer,
          .audience = std::move(audience),
          .nonce = std::move(nonce),
          .now = options_.clock->Now(),
          .clock_skew = options_.clock_skew};
}

auth::GrantPtr RelyingParty::GrantFor(const pb::Struct& claims, const std::string& name) const {
  auth::GrantPtr grant = access_map_->Current()->Evaluate(claims, name);
  return grant != nullptr ? grant : auth::Grant::Viewer(name, {});
}

absl::StatusOr<RelyingParty::LoginStart> RelyingParty::StartLogin(absl::string_view return_to) {
  auto provider = this->provider();
  if (provider == nullptr) {
    return absl::UnavailableError("the identity provider cannot be reached yet; try again in a moment");
  }
  auto begun = logins_.Begin(LocalReturnPath(return_to), options_.clock->Now());
  if (!begun.ok()) return begun.status();
  const PendingLogin& login = begun->second;
  const std::string& endpoint = provider->metadata().authorization_endpoint;
  std::string url = absl::StrCat(endpoint, absl::StrContains(endpoint, '?') ? "&" : "?",
                                 EncodeForm({{"response_type", "code"},
                                             {"client_id", options_.client_id},
                                             {"redirect_uri", redirect_uri_},
                                             {"scope", options_.scopes},
                                             {"state", login.state},
                                             {"nonce", login.nonce},
                                             {"code_challenge", CodeChallenge(login.code_verifier)},
                                             {"code_challenge_method", "S256"}}));
  // OpenID Connect Core 11: offline_access (a refresh token) is granted
  // only when the person is asked to consent.
  if (absl::StrContains(absl::StrCat(" ", options_.scopes, " "), " offline_access ")) url += "&prompt=consent";
  return LoginStart{std::move(url), std::move(begun->first)};
}

absl::StatusOr<RelyingParty::LoginResult> RelyingParty::FinishLogin(
    absl::string_view login_id, const absl::flat_hash_map<std::string, std::string>& query) {
  std::optional<PendingLogin> login = logins_.Take(login_id, options_.clock->Now());
  if (!login) {
    return absl::InvalidArgumentError(
        "this sign-in is unknown, already used or too old (or this browser did not start it)");
  }
  auto field = [&query](const char* name) {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  };
  // Checked before anything the provider says: a callback whose state is
  // not this browser's login is not ours to act on.
  if (!ConstantTimeEquals(field("state"), login->state)) {
    return absl::InvalidArgumentError("the callback's state is not this browser's sign-in");
  }
  if (const std::string error = field("error"); !error.empty()) {
    std::string description = field("error_description").substr(0, 200);
    return absl::UnauthenticatedError(absl::StrCat("the identity provider refused the sign-in: ", error,
                                                   description.empty() ? "" : " (", description,
                                                   description.empty() ? "" : ")"));
  }
  const std::string code = field("code");
  if (code.empty()) return absl::InvalidArgumentError("the callback has no code");
  auto provider = this->provider();
  if (provider == nullptr) return absl::UnavailableError("the identity provider cannot be reached");

  auto body = TokenRequest(*provider, {{"grant_type", "authorization_code"},
                                       {"code", code},
                                       {"redirect_uri", redirect_uri_},
                                       {"code_verifier", login->code_verifier}});
  if (!body.ok()) {
    if (!absl::IsUnauthenticated(body.status())) return body.status();
    return absl::UnauthenticatedError(absl::StrCat(body.status().message(), " (used, expired or not this client's)"));
  }
  const std::string id_token = auth::StringField(*body, "id_token");
  if (id_token.empty()) return absl::UnauthenticatedError("the token response has no id_token (is scope openid?)");
  auto claims = provider->Verify(id_token, Expect(options_.client_id, login->nonce));
  if (!claims.ok()) return absl::UnauthenticatedError(absl::StrCat("the ID token: ", claims.status().message()));
  const std::string subject = auth::StringField(*claims, "sub");
  if (subject.empty()) return absl::UnauthenticatedError("the ID token has no sub");

  Session session;
  session.user = absl::StrCat(provider->metadata().issuer, " ", subject);
  session.name = DisplayName(*claims);
  session.expires = options_.clock->Now() + options_.session_max_age;
  if (options_.refresh) {
    session.refresh_token = auth::StringField(*body, "refresh_token");
    if (session.refresh_token.empty()) {
      log::Warn("oidc: the provider gave ", session.name,
                " no refresh token (add offline_access to --oidc-scopes?): the session keeps its sign-in claims");
    }
    session.refresh_at = ExpiryOf(*claims).value_or(absl::InfiniteFuture());
  }
  auth::GrantPtr grant = GrantFor(*claims, session.name);
  session.claims = *std::move(claims);
  std::string name = session.name;
  auto id = sessions_.Create(std::move(session));
  if (!id.ok()) return id.status();
  log::Info("oidc: ", name, " signed in (",
            grant->admin() ? std::string("admin")
                           : absl::StrCat(grant->projects().size(), " projects"),
            ")");
  return LoginResult{*std::move(id), std::move(login->return_to), std::move(name)};
}

absl::StatusOr<pb::Struct> RelyingParty::TokenRequest(const Provider& provider, const FormFields& form) const {
  FetchRequest request{
      .method = "POST",
      .url = provider.metadata().token_endpoint,
      .headers = {{"Authorization", "Basic " + absl::Base64Escape(PercentEncode(options_.client_id) + ":" +
                                                                  PercentEncode(options_.client_secret))},
                  {"Accept", "application/json"}},
      .body = EncodeForm(form),
      .content_type = "application/x-www-form-urlencoded",
      .ca_file = options_.ca_file};
  auto response = Fetch(request);
  if (!response.ok()) return absl::UnavailableError(response.status().message());
  auto body = auth::ParseJsonObject(response->body);
  if (response->status != 200) {
    const std::string error = body.ok() ? auth::StringField(*body, "error") : "";
    if (response->status >= 500 || error.empty()) {
      return absl::UnavailableError(
          absl::StrCat("the identity provider's token endpoint answered ", response->status));
    }
    return absl::UnauthenticatedError(absl::StrCat("the identity provider refused the ",
                                                   form.front().second == "refresh_token" ? "refresh" : "code", ": ",
                                                   error));
  }
  if (!body.ok()) return absl::UnavailableError("the identity provider's token response is not JSON");
  return body;
}

void RelyingParty::RunRefreshes() {
  while (!stop_.WaitForNotificationWithTimeout(absl::Seconds(1))) {
    for (const auto& [key, session] : sessions_.DueForRefresh(options_.clock->Now())) {
      if (stop_.HasBeenNotified()) return;
      Refresh(key, *session);
    }
  }
}

void RelyingParty::Refresh(const std::string& key, const Session& session) {
  auto provider = this->provider();
  if (provider == nullptr) return;
  auto body = TokenRequest(*provider, {{"grant_type", "refresh_token"}, {"refresh_token", session.refresh_token}});
  if (absl::IsUnauthenticated(body.status())) {
    log::Warn("oidc: ", session.name, ": ", body.status().message(), "; the session ends");
    sessions_.EndByKey(key);
    return;
  }
  Session next = session;
  if (!body.ok()) {
    // The provider is away: try again shortly; the session keeps its claims
    // until it answers, or until --session-max-age.
    log::Warn("oidc: cannot refresh ", session.name, ": ", body.status().message(), "; retrying");
    next.refresh_at = options_.clock->Now() + absl::Seconds(10);
    sessions_.Update(key, std::move(next));
    return;
  }
  const std::string id_token = auth::StringField(*body, "id_token");
  auto claims = id_token.empty() ? absl::StatusOr<pb::Struct>(absl::UnauthenticatedError("no id_token"))
                                 : provider->Verify(id_token, Expect(options_.client_id, ""));
  if (!claims.ok() || absl::StrCat(provider->metadata().issuer, " ", auth::StringField(*claims, "sub")) != session.user) {
    log::Warn("oidc: the refreshed ID token of ", session.name, " is refused (",
              claims.ok() ? "another subject" : claims.status().message(), "); the session ends");
    sessions_.EndByKey(key);
    return;
  }
  if (std::string rotated = auth::StringField(*body, "refresh_token"); !rotated.empty()) {
    next.refresh_token = std::move(rotated);
  }
  next.refresh_at = ExpiryOf(*claims).value_or(absl::InfiniteFuture());
  next.claims = *std::move(claims);
  sessions_.Update(key, std::move(next));
}

void RelyingParty::EndSession(absl::string_view session_id) {
  if (auto session = sessions_.Find(session_id, options_.clock->Now())) {
    log::Info("oidc: ", session->name, " signed out");
  }
  sessions_.End(session_id);
}

absl::StatusOr<RelyingParty::SessionView> RelyingParty::DescribeSession(absl::string_view session_id) {
  auto session = sessions_.Find(session_id, options_.clock->Now());
  if (session == nullptr) return absl::UnauthenticatedError("not signed in, or the session has ended");
  return SessionView{session->name, GrantFor(session->claims, session->name), session->expires};
}

bool RelyingParty::Recognizes(absl::string_view token) const {
  // header.payload.signature; our own tokens are base64url without dots.
  return std::count(token.begin(), token.end(), '.') == 2;
}

absl::StatusOr<auth::Identity> RelyingParty::Authenticate(absl::string_view token) {
  auto provider = this->provider();
  if (provider == nullptr) {
    return absl::UnauthenticatedError("JWT refused: the identity provider has not been reached yet");
  }
  auto claims = provider->VerifyCached(
      token, Expect(options_.audience.empty() ? options_.client_id : options_.audience, ""));
  if (!claims.ok()) return claims.status();  // NOT_FOUND: an unknown kid, for RefreshKeys
  const std::string name = DisplayName(*claims);
  std::string key = absl::StrCat(kBearerKeyPrefix, auth::TokenSha256(token));
  auth::GrantPtr grant = GrantFor(*claims, name);
  const absl::Time expires = ExpiryOf(*claims).value_or(absl::InfinitePast()) + options_.clock_skew;
  {
    absl::MutexLock lock(&mu_);
    if (!bearer_tokens_.contains(key) && bearer_tokens_.size() >= options_.max_bearer_tokens) {
      const absl::Time now = options_.clock->Now();
      absl::erase_if(bearer_tokens_, [now](const auto& entry) { return now >= entry.second.expires; });
      if (bearer_tokens_.size() >= options_.max_bearer_tokens) {
        return absl::UnauthenticatedError("JWT refused: too many bearer JWTs in use; try again later");
      }
    }
    bearer_tokens_[key] = BearerToken{std::make_shared<const pb::Struct>(*std::move(claims)), name, expires};
  }
  return auth::Identity{std::move(grant), std::move(key)};
}

void RelyingParty::RefreshKeys() {
  // A failed fetch is logged by the provider; the caller decides again.
  if (auto provider = this->provider()) provider->RefetchForUnknownKid().IgnoreError();
}

absl::StatusOr<auth::Identity> RelyingParty::AuthenticateSession(absl::string_view session_id) {
  auto session = sessions_.Find(session_id, options_.clock->Now());
  if (session == nullptr) return absl::UnauthenticatedError("the session has ended or is unknown: sign in again");
  return auth::Identity{GrantFor(session->claims, session->name), SessionStore::KeyOf(session_id)};
}

bool RelyingParty::Owns(absl::string_view token_key) const {
  return absl::StartsWith(token_key, SessionStore::kKeyPrefix) || absl::StartsWith(token_key, kBearerKeyPrefix);
}

auth::GrantPtr RelyingParty::CurrentGrant(absl::string_view token_key, absl::Time now) {
  if (absl::StartsWith(token_key, SessionStore::kKeyPrefix)) {
    auto session = sessions_.FindByKey(token_key, now);
    return session == nullptr ? nullptr : GrantFor(session->claims, session->name);
  }
  std::shared_ptr<const pb::Struct> claims;
  std::string name;
  {
    absl::MutexLock lock(&mu_);
    auto it = bearer_tokens_.find(token_key);
    if (it == bearer_tokens_.end() || now >= it->second.expires) return nullptr;
    claims = it->second.claims;
    name = it->second.name;
  }
  return GrantFor(*claims, name);
}

void RelyingParty::Reload() {
  access_map_->Reload();
  const absl::Time now = options_.clock->Now();
  sessions_.RemoveExpired(now);
  absl::MutexLock lock(&mu_);
  absl::erase_if(bearer_tokens_, [now](const auto& entry) { return now >= entry.second.expires; });
}

}  // namespace nanokit::oidc
