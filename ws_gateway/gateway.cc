#include "ws_gateway/gateway.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "protocol/names.h"
#include "ws_gateway/listener.h"
#include "ws_gateway/websocket_session.h"

namespace nanokit::gateway {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
// The fanouts read the gateway's clock.
GatewayOptions WithOneClock(GatewayOptions options) {
  options.fanout.clock = options.clock;
  return options;
}
}  // namespace

Gateway::Gateway(GatewayOptions options)
    : options_(WithOneClock(std::move(options))), hub_(options_.hub, options_.hub_tls, options_.hub_token) {
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    shards_.push_back(std::make_unique<net::io_context>(1));  // one thread runs it
    tickers_.push_back(std::make_shared<ShardTicker>(*shards_.back(), options_.heartbeat_interval, *options_.clock));
  }
  std::vector<net::io_context*> shards;
  for (auto& shard : shards_) shards.push_back(shard.get());
  directory_ = std::make_shared<DirectoryMirror>(&hub_, std::move(shards), options_.fanout);
}

Gateway::~Gateway() { Shutdown(); }

absl::StatusOr<tcp::endpoint> Gateway::Start() {
  if (options_.tls_cert_file.empty() != options_.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (!options_.tls_cert_file.empty()) {
    auto tls = ServerTlsContext::Load(options_.tls_cert_file, options_.tls_key_file);
    if (!tls.ok()) return tls.status();
    tls_ = *std::move(tls);
  }
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
  for (auto& ticker : tickers_) ticker->Start();
  for (auto& shard : shards_) {
    threads_.emplace_back([ioc = shard.get()] {
      auto guard = net::make_work_guard(*ioc);
      ioc->run();
    });
  }
  return listener_->local_endpoint();
}

absl::Status Gateway::ReloadTls() {
  if (tls_ == nullptr) return absl::OkStatus();
  return tls_->Reload();
}

std::shared_ptr<net::ssl::context> Gateway::TlsContext() const {
  return tls_ == nullptr ? nullptr : tls_->Current();
}

void Gateway::Shutdown() {
  if (!started_ || shut_down_) return;
  shut_down_ = true;
  listener_->Stop();
  std::vector<std::shared_ptr<DashboardConnection>> sessions;
  std::vector<std::shared_ptr<ProjectFanout>> fanouts;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& [id, weak] : sessions_) {
      if (auto session = weak.lock()) sessions.push_back(std::move(session));
    }
    for (auto& [name, fanout] : fanouts_) fanouts.push_back(fanout);
  }
  log::Info("closing ", sessions.size(), " WebSockets and ", fanouts.size(), " hub watches");
  for (auto& session : sessions) {
    session->Close(boost::beast::websocket::close_code::going_away, "gateway shutting down");
  }
  sessions.clear();
  for (auto& ticker : tickers_) ticker->Stop();
  for (auto& fanout : fanouts) fanout->Stop();
  directory_->Stop();
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
  blocking_.stop();
  blocking_.join();
  absl::MutexLock lock(&mu_);
  fanouts_.clear();
  sessions_.clear();
}

void Gateway::Offload(std::function<void()> work) { net::post(blocking_, std::move(work)); }

void Gateway::RefreshKeysThen(net::any_io_executor executor, std::function<void()> then) {
  Offload([access = options_.access, executor = std::move(executor), then = std::move(then)]() mutable {
    access->RefreshKeys();
    net::post(executor, std::move(then));
  });
}

absl::StatusOr<std::shared_ptr<ProjectFanout>> Gateway::Fanout(const std::string& project) {
  if (auto status = protocol::CheckProjectName(project); !status.ok()) return status;
  std::shared_ptr<ProjectFanout> fanout;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError("the gateway is shutting down");
    auto it = fanouts_.find(project);
    if (it != fanouts_.end()) return it->second;
    if (fanouts_.size() >= options_.max_projects) {
      return absl::ResourceExhaustedError(absl::StrCat("the gateway already watches ", fanouts_.size(), " projects"));
    }
    std::vector<net::io_context*> shards;
    for (auto& shard : shards_) shards.push_back(shard.get());
    fanout = std::make_shared<ProjectFanout>(project, &hub_, std::move(shards), options_.fanout, &metrics_);
    fanouts_.emplace(project, fanout);
  }
  fanout->Start();
  return fanout;
}

bool Gateway::HubConnected() {
  std::vector<std::shared_ptr<ProjectFanout>> fanouts;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [name, fanout] : fanouts_) fanouts.push_back(fanout);
  }
  if (fanouts.empty()) return hub_.ChannelReady();
  for (const auto& fanout : fanouts) {
    if (!fanout->hub_connected()) return false;
  }
  return true;
}

void Gateway::AddSession(const std::shared_ptr<DashboardConnection>& session) {
  absl::MutexLock lock(&mu_);
  sessions_[session->id()] = session;
  metrics_.connections.Set(static_cast<int64_t>(sessions_.size()));
  if (stopping_) session->Close(boost::beast::websocket::close_code::going_away, "gateway shutting down");
}

void Gateway::RemoveSession(uint64_t id) {
  absl::MutexLock lock(&mu_);
  sessions_.erase(id);
  metrics_.connections.Set(static_cast<int64_t>(sessions_.size()));
}

}  // namespace nanokit::gateway
