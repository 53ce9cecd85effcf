#include "ws_gateway/gateway.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address.hpp>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "protocol/names.h"
#include "ws_gateway/listener.h"
#include "ws_gateway/websocket_session.h"

namespace nanokit::gateway {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Gateway::Gateway(GatewayOptions options) : options_(std::move(options)), hub_(options_.hub, options_.hub_token) {
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    shards_.push_back(std::make_unique<net::io_context>(1));  // one thread runs it
  }
}

Gateway::~Gateway() { Shutdown(); }

absl::StatusOr<tcp::endpoint> Gateway::Start() {
  auto listen = ParseHostPort(options_.listen);
  if (!listen.ok()) return listen.status();
  boost::system::error_code ec;
  auto address = net::ip::make_address(listen->host, ec);
  if (ec) {
    // A name such as "localhost".
    tcp::resolver resolver(*shards_[0]);
    auto results = resolver.resolve(listen->host, "", ec);
    if (ec || results.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("cannot resolve listen host ", protocol::Quoted(listen->host)));
    }
    address = results.begin()->endpoint().address();
  }
  listener_ = std::make_shared<Listener>(*shards_[0], this);
  if (auto status = listener_->Bind(tcp::endpoint(address, listen->port)); !status.ok()) return status;
  listener_->Run();
  started_ = true;
  for (auto& shard : shards_) {
    threads_.emplace_back([ioc = shard.get()] {
      auto guard = net::make_work_guard(*ioc);
      ioc->run();
    });
  }
  return listener_->local_endpoint();
}

void Gateway::Shutdown() {
  if (!started_ || shut_down_) return;
  shut_down_ = true;
  listener_->Stop();
  std::vector<std::shared_ptr<WebSocketSession>> sessions;
  std::vector<std::shared_ptr<ProjectChannel>> channels;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& [id, weak] : sessions_) {
      if (auto session = weak.lock()) sessions.push_back(std::move(session));
    }
    for (auto& [name, channel] : channels_) channels.push_back(channel);
  }
  log::Info("closing ", sessions.size(), " WebSockets and ", channels.size(), " hub watches");
  for (auto& session : sessions) {
    session->Close(boost::beast::websocket::close_code::going_away, "gateway shutting down");
  }
  sessions.clear();
  for (auto& channel : channels) channel->Stop();
  {
    absl::MutexLock lock(&mu_);
    auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return sessions_.empty(); };
    if (!mu_.AwaitWithTimeout(absl::Condition(&drained), absl::Seconds(2))) {
      log::Warn(sessions_.size(), " WebSockets did not finish closing in time");
    }
  }
  if (!hub_.AwaitNoWatches(absl::Seconds(2))) log::Warn("hub watches did not end in time");
  for (auto& shard : shards_) shard->stop();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  absl::MutexLock lock(&mu_);
  channels_.clear();
  sessions_.clear();
}

absl::StatusOr<std::shared_ptr<ProjectChannel>> Gateway::Channel(const std::string& project) {
  if (auto status = protocol::CheckProjectName(project); !status.ok()) return status;
  std::shared_ptr<ProjectChannel> channel;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError("the gateway is shutting down");
    auto it = channels_.find(project);
    if (it != channels_.end()) return it->second;
    if (channels_.size() >= options_.max_projects) {
      return absl::ResourceExhaustedError(absl::StrCat("the gateway already watches ", channels_.size(), " projects"));
    }
    std::vector<net::io_context*> shards;
    for (auto& shard : shards_) shards.push_back(shard.get());
    channel = std::make_shared<ProjectChannel>(project, &hub_, std::move(shards), options_.channel);
    channels_.emplace(project, channel);
  }
  channel->Start();
  return channel;
}

bool Gateway::HubConnected() {
  std::vector<std::shared_ptr<ProjectChannel>> channels;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [name, channel] : channels_) channels.push_back(channel);
  }
  if (channels.empty()) return hub_.ChannelReady();
  for (const auto& channel : channels) {
    if (!channel->hub_connected()) return false;
  }
  return true;
}

void Gateway::AddSession(const std::shared_ptr<WebSocketSession>& session) {
  absl::MutexLock lock(&mu_);
  sessions_[session->id()] = session;
  if (stopping_) session->Close(boost::beast::websocket::close_code::going_away, "gateway shutting down");
}

void Gateway::RemoveSession(uint64_t id) {
  absl::MutexLock lock(&mu_);
  sessions_.erase(id);
}

}  // namespace nanokit::gateway
