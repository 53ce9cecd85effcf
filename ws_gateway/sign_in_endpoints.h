#pragma once
// The gateway's /auth/ endpoints with sign-in on (oidc/relying_party.h),
// kept free of sockets: a request becomes a response, or, for the callback
// (which talks to the provider), work to run off the connection's thread
// that gives the response.
//
//   GET  /auth/login?return_to=PATH  to the provider, with a login cookie
//   GET  /auth/callback              back from it: a session cookie, then
//                                    to return_to
//   POST /auth/logout                (Origin checked) ends the session
//   GET  /auth/me                    who is signed in, what they may see

#include <functional>
#include <string>
#include <variant>
#include <vector>

#include <boost/beast/http.hpp>

#include "absl/strings/string_view.h"
#include "oidc/relying_party.h"

namespace nanokit::gateway {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

inline constexpr absl::string_view kSignInPathPrefix = "/auth/";

// A request header's value; empty when absent.
absl::string_view HeaderValue(const HttpRequest& request, boost::beast::http::field field);

struct SignInContext {
  oidc::RelyingParty* sign_in;  // null: sign-in is off (every /auth/ path is 404)
  const std::vector<std::string>* allowed_origins;
  uint64_t connection_id;  // for the log lines
};

using SignInResult = std::variant<HttpResponse, std::function<HttpResponse()>>;
SignInResult HandleSignIn(const HttpRequest& request, const SignInContext& context);

// A response the gateway's way: its Server header, no caching.
HttpResponse MakeResponse(boost::beast::http::status status, std::string body, absl::string_view content_type,
                          unsigned version, bool keep_alive);

}  // namespace nanokit::gateway
