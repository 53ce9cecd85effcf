#include "ws_gateway/sign_in_endpoints.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "oidc/form.h"
#include "ws_gateway/cookie.h"
#include "ws_gateway/upgrade_policy.h"

namespace nanokit::gateway {

namespace http = boost::beast::http;
namespace pb = google::protobuf;

namespace {

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

// What a person sees when a sign-in fails: why, and the way to try again.
HttpResponse ProblemPage(http::status status, absl::string_view message, const HttpRequest& request) {
  std::string body = absl::StrCat(
      "<!doctype html><meta charset=\"utf-8\"><title>Sign-in failed — Nanokit</title>"
      "<h1>Sign-in failed</h1><p id=\"reason\">",
      HtmlEscape(message), "</p><p><a id=\"sign-in\" href=\"/auth/login\">Sign in again</a></p>\n");
  HttpResponse response = MakeResponse(status, std::move(body), "text/html; charset=utf-8", request.version(), false);
  response.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  return response;
}

HttpResponse Redirect(absl::string_view location, const HttpRequest& request) {
  HttpResponse response = MakeResponse(http::status::found, "", "text/plain", request.version(), request.keep_alive());
  response.set(http::field::location, std::string(location));
  response.set("Referrer-Policy", "no-referrer");
  return response;
}

HttpResponse Json(http::status status, const pb::Struct& object, const HttpRequest& request) {
  std::string body;
  (void)pb::util::MessageToJsonString(object, &body);
  body += "\n";
  return MakeResponse(status, std::move(body), "application/json", request.version(), request.keep_alive());
}

std::string QueryOf(const HttpRequest& request) {
  const absl::string_view target(request.target().data(), request.target().size());
  const size_t question = target.find('?');
  return question == absl::string_view::npos ? "" : std::string(target.substr(question + 1));
}

std::string SessionId(const HttpRequest& request) {
  return std::string(FindCookie(HeaderValue(request, http::field::cookie), kSessionCookie).value_or(""));
}

HttpResponse Login(const HttpRequest& request, const SignInContext& context) {
  auto query = oidc::ParseForm(QueryOf(request));
  std::string return_to = "/";
  if (query.ok()) {
    if (auto it = query->find("return_to"); it != query->end()) return_to = it->second;
  }
  auto start = context.sign_in->StartLogin(return_to);
  if (!start.ok()) {
    log::Warn("conn=", context.connection_id, " sign-in unavailable: ", start.status().message());
    return ProblemPage(http::status::service_unavailable, start.status().message(), request);
  }
  HttpResponse response = Redirect(start->authorization_url, request);
  response.insert(http::field::set_cookie,
                  SetCookie(kLoginCookie, start->login_id, context.sign_in->options().login_lifetime));
  return response;
}

http::status StatusFor(const absl::Status& status) {
  if (absl::IsInvalidArgument(status)) return http::status::bad_request;
  if (absl::IsUnauthenticated(status)) return http::status::unauthorized;
  if (absl::IsUnavailable(status)) return http::status::bad_gateway;
  return http::status::internal_server_error;
}

SignInResult Callback(const HttpRequest& request, const SignInContext& context) {
  auto query = oidc::ParseForm(QueryOf(request));
  if (!query.ok()) return ProblemPage(http::status::bad_request, "the callback's query is malformed", request);
  const std::string login_id(FindCookie(HeaderValue(request, http::field::cookie), kLoginCookie).value_or(""));
  if (login_id.empty()) {
    log::Warn("conn=", context.connection_id, " sign-in callback without a login cookie");
    return ProblemPage(http::status::bad_request,
                       "this browser did not start this sign-in (or took longer than allowed)", request);
  }
  oidc::RelyingParty* sign_in = context.sign_in;
  const uint64_t id = context.connection_id;
  const unsigned version = request.version();
  return [sign_in, id, version, login_id, query = *std::move(query)]() -> HttpResponse {
    HttpRequest shape;
    shape.version(version);
    shape.keep_alive(false);
    auto result = sign_in->FinishLogin(login_id, query);
    if (!result.ok()) {
      log::Warn("conn=", id, " sign-in refused: ", result.status().message());
      HttpResponse page = ProblemPage(StatusFor(result.status()), result.status().message(), shape);
      page.insert(http::field::set_cookie, ClearCookie(kLoginCookie));
      return page;
    }
    HttpResponse response = Redirect(result->return_to, shape);
    response.insert(http::field::set_cookie, ClearCookie(kLoginCookie));
    response.insert(http::field::set_cookie,
                    SetCookie(kSessionCookie, result->session_id, sign_in->options().session_max_age));
    return response;
  };
}

HttpResponse Logout(const HttpRequest& request, const SignInContext& context) {
  if (request.method() != http::verb::post) {
    return MakeResponse(http::status::method_not_allowed, "POST only\n", "text/plain", request.version(), false);
  }
  if (!IsSignInOriginAllowed(HeaderValue(request, http::field::origin), context.sign_in->public_origin(),
                             *context.allowed_origins)) {
    log::Warn("conn=", context.connection_id, " logout refused: Origin is not the dashboard's");
    return MakeResponse(http::status::forbidden, "logout from the dashboard's own origin only\n", "text/plain",
                        request.version(), false);
  }
  if (std::string session = SessionId(request); !session.empty()) context.sign_in->EndSession(session);
  pb::Struct body;
  (*body.mutable_fields())["signedIn"].set_bool_value(false);
  HttpResponse response = Json(http::status::ok, body, request);
  response.insert(http::field::set_cookie, ClearCookie(kSessionCookie));
  return response;
}

HttpResponse Me(const HttpRequest& request, const SignInContext& context) {
  pb::Struct body;
  auto& fields = *body.mutable_fields();
  auto session = context.sign_in->DescribeSession(SessionId(request));
  if (!session.ok()) {
    fields["signedIn"].set_bool_value(false);
    fields["loginUrl"].set_string_value("/auth/login");
    return Json(http::status::unauthorized, body, request);
  }
  fields["signedIn"].set_bool_value(true);
  fields["name"].set_string_value(session->name);
  fields["admin"].set_bool_value(session->grant->all_projects());
  auto* projects = fields["projects"].mutable_list_value();
  for (const std::string& project : session->grant->projects()) projects->add_values()->set_string_value(project);
  fields["expiresAt"].set_string_value(absl::FormatTime(absl::RFC3339_sec, session->expires, absl::UTCTimeZone()));
  return Json(http::status::ok, body, request);
}

}  // namespace

absl::string_view HeaderValue(const HttpRequest& request, http::field field) {
  auto it = request.find(field);
  if (it == request.end()) return {};
  return absl::string_view(it->value().data(), it->value().size());
}

HttpResponse MakeResponse(http::status status, std::string body, absl::string_view content_type, unsigned version,
                          bool keep_alive) {
  HttpResponse response(status, version);
  response.set(http::field::server, "nanokit-gateway");
  response.set(http::field::content_type, std::string(content_type));
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(keep_alive);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

SignInResult HandleSignIn(const HttpRequest& request, const SignInContext& context) {
  const absl::string_view target(request.target().data(), request.target().size());
  const absl::string_view path = target.substr(0, target.find('?'));
  if (context.sign_in == nullptr) {
    return MakeResponse(http::status::not_found, "sign-in is off on this gateway (no --oidc-issuer)\n", "text/plain",
                        request.version(), request.keep_alive());
  }
  const bool get = request.method() == http::verb::get;
  if (path == "/auth/logout") return Logout(request, context);
  if (!get) return MakeResponse(http::status::method_not_allowed, "GET only\n", "text/plain", request.version(), false);
  if (path == "/auth/login") return Login(request, context);
  if (path == oidc::kCallbackPath) return Callback(request, context);
  if (path == "/auth/me") return Me(request, context);
  return MakeResponse(http::status::not_found, "not found\n", "text/plain", request.version(), request.keep_alive());
}

}  // namespace nanokit::gateway
