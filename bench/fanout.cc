#include "bench/fanout.h"

#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/latency.h"
#include "bench/process_stats.h"
#include "bench/servers.h"
#include "common/address.h"
#include "common/clock.h"
#include "core_client/hub_publisher.h"

namespace nanokit::bench {

namespace v1 = nanokit::bridge::v1;
namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;

namespace {

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// "2026-11-26T03:00:54.120Z" -> Unix nanoseconds; -1 if not that shape.
// The printer writes 0, 3, 6 or 9 fractional digits and always UTC.
int64_t ParseTimestampNanos(const char* p, const char* end) {
  auto num = [&](int digits, int64_t* out) {
    if (end - p < digits) return false;
    int64_t v = 0;
    for (int i = 0; i < digits; ++i, ++p) {
      if (*p < '0' || *p > '9') return false;
      v = v * 10 + (*p - '0');
    }
    *out = v;
    return true;
  };
  int64_t y, mo, d, h, mi, s;
  if (!num(4, &y) || *p++ != '-' || !num(2, &mo) || *p++ != '-' || !num(2, &d) || *p++ != 'T' || !num(2, &h) ||
      *p++ != ':' || !num(2, &mi) || *p++ != ':' || !num(2, &s)) {
    return -1;
  }
  int64_t nanos = 0;
  if (p < end && *p == '.') {
    ++p;
    int digits = 0;
    while (p < end && *p >= '0' && *p <= '9' && digits < 9) {
      nanos = nanos * 10 + (*p++ - '0');
      ++digits;
    }
    for (; digits < 9; ++digits) nanos *= 10;
  }
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi) * 60 * 1000000000 + s * 1000000000 + nanos;
}

constexpr std::string_view kEmittedAt = "\"emittedAt\":\"";

// What all clients saw, on the one client thread.
struct Tally {
  uint64_t events = 0;
  uint64_t frames = 0;
  uint64_t connected = 0;
  uint64_t failed = 0;
  uint64_t closed = 0;  // by the gateway (e.g. 1013: too slow) or the network
  uint16_t last_close_code = 0;
  bool measuring = false;
  Latencies latencies;
};

// One subscribed dashboard. Parses nothing but the emittedAt fields: counts
// them (one per event, alone or in a batch) and takes the latency of the
// oldest event of each frame (the worst in it).
class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(net::io_context& ioc, Tally* tally) : ws_(ioc), tally_(tally) {}

  void Start(const net::ip::tcp::endpoint& endpoint, const std::string& host, const std::string& token) {
    beast::get_lowest_layer(ws_).async_connect(endpoint, [self = shared_from_this(), host, token](beast::error_code ec) {
      if (ec) return self->Fail();
      self->ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& request) {
        request.set(beast::http::field::sec_websocket_protocol, absl::StrCat("nanokit.v1, nanokit.bearer.", token));
      }));
      self->ws_.async_handshake(host, "/ws", [self](beast::error_code ec) {
        if (ec) return self->Fail();
        ++self->tally_->connected;
        self->subscribe_ = R"({"type":"subscribe","project":"bench"})";
        self->ws_.async_write(net::buffer(self->subscribe_), [self](beast::error_code ec, std::size_t) {
          if (ec) return self->Fail();
          self->Read();
        });
      });
    });
  }

  void Close() {
    closing_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

 private:
  void Fail() { ++tally_->failed; }

  void Read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        if (!self->closing_) {
          ++self->tally_->closed;
          self->tally_->last_close_code = self->ws_.reason().code;
        }
        return;
      }
      self->OnFrame();
      self->Read();
    });
  }

  void OnFrame() {
    const int64_t now = absl::GetCurrentTimeNanos();
    const auto data = buffer_.cdata();
    const std::string_view text(static_cast<const char*>(data.data()), data.size());
    if (tally_->measuring) {
      uint64_t events = 0;
      int64_t oldest = -1;
      for (size_t at = text.find(kEmittedAt); at != std::string_view::npos; at = text.find(kEmittedAt, at + 1)) {
        if (events++ == 0) {
          const char* p = text.data() + at + kEmittedAt.size();
          oldest = ParseTimestampNanos(p, text.data() + text.size());
        }
      }
      if (events > 0) {
        tally_->events += events;
        ++tally_->frames;
        if (oldest > 0) tally_->latencies.Add(now - oldest);
      }
    }
    buffer_.consume(buffer_.size());
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::string subscribe_;
  Tally* tally_;
  bool closing_ = false;
};

double OwnCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Publishes `rate` events/s for `seconds`: status updates and log lines
// spread over the resources, emittedAt set when published.
void Publish(core::HubPublisher* publisher, const FanoutOptions& options, absl::Duration duration,
             std::atomic<uint64_t>* published) {
  const absl::Time start = absl::Now();
  uint64_t sent = 0;
  const uint64_t log_every = options.log_share > 0 ? static_cast<uint64_t>(1.0 / options.log_share) : 0;
  for (;;) {
    const absl::Duration elapsed = absl::Now() - start;
    if (elapsed >= duration) break;
    const uint64_t due = static_cast<uint64_t>(absl::ToDoubleSeconds(elapsed) * static_cast<double>(options.rate));
    for (; sent < due; ++sent) {
      v1::Event event;
      event.set_project("bench");
      const std::string resource = absl::StrCat("svc-", sent % options.resources);
      if (log_every != 0 && sent % log_every == 0) {
        auto* logs = event.mutable_log_stream();
        logs->set_resource_id(resource);
        logs->add_lines(absl::StrCat("request ", sent, " served in 3 ms by worker ", sent % 16));
      } else {
        auto* update = event.mutable_status_update();
        update->set_resource_id(resource);
        update->set_kind("service");
        update->set_status(sent % 2 ? v1::HEALTHY : v1::DEPLOYING);
        update->set_message(absl::StrCat("revision ", sent));
      }
      *event.mutable_emitted_at() = ToTimestamp(absl::Now());
      publisher->Publish(std::move(event));
    }
    published->store(sent);
    absl::SleepFor(absl::Milliseconds(1));
  }
}

}  // namespace

int RunFanout(const FanoutOptions& options) {
  auto servers = Servers::Start(options.hub_binary, false, options.gateway_binary,
                                {"--threads", std::to_string(options.gateway_threads)});
  if (!servers.ok()) {
    std::fprintf(stderr, "nanokit-bench: %s\n", std::string(servers.status().message()).c_str());
    return 1;
  }
  auto gateway = ParseHostPort((*servers)->gateway_address());
  net::io_context ioc;
  Tally tally;
  std::vector<std::shared_ptr<Client>> clients;
  const net::ip::tcp::endpoint endpoint(net::ip::make_address(gateway->host), gateway->port);
  for (uint64_t i = 0; i < options.clients; ++i) {
    clients.push_back(std::make_shared<Client>(ioc, &tally));
    clients.back()->Start(endpoint, (*servers)->gateway_address(), (*servers)->token());
  }
  const absl::Time connect_deadline = absl::Now() + absl::Seconds(60);
  while (tally.connected + tally.failed < options.clients && absl::Now() < connect_deadline) {
    ioc.run_for(std::chrono::milliseconds(10));
  }
  if (tally.connected < options.clients) {
    std::fprintf(stderr, "nanokit-bench: %llu of %llu clients connected\n",
                 static_cast<unsigned long long>(tally.connected), static_cast<unsigned long long>(options.clients));
    return 1;
  }

  core::HubPublisherOptions publisher_options;
  publisher_options.target = (*servers)->hub_address();
  publisher_options.token = (*servers)->token();
  publisher_options.source = "bench-core";
  core::HubPublisher publisher(publisher_options);
  std::atomic<uint64_t> published{0};
  // One second of warm-up (snapshots, first batches) before counting.
  const absl::Duration warmup = absl::Seconds(1);
  const absl::Duration duration = absl::Seconds(options.seconds);
  std::thread core([&] { Publish(&publisher, options, warmup + duration, &published); });
  const absl::Time start = absl::Now();
  while (absl::Now() - start < warmup) ioc.run_for(std::chrono::milliseconds(10));

  tally.measuring = true;
  const ProcessStats hub_before = ReadProcessStats((*servers)->hub_pid());
  const ProcessStats gateway_before = ReadProcessStats((*servers)->gateway_pid());
  const double own_before = OwnCpuSeconds();
  const uint64_t published_before = published.load();
  const absl::Time measure_start = absl::Now();
  while (absl::Now() - measure_start < duration) ioc.run_for(std::chrono::milliseconds(10));
  const double seconds = absl::ToDoubleSeconds(absl::Now() - measure_start);
  tally.measuring = false;
  const uint64_t published_during = published.load() - published_before;
  const ProcessStats hub_after = ReadProcessStats((*servers)->hub_pid());
  const ProcessStats gateway_after = ReadProcessStats((*servers)->gateway_pid());
  const double own_cpu = (OwnCpuSeconds() - own_before) / seconds;
  core.join();
  for (auto& c : clients) c->Close();
  ioc.run_for(std::chrono::milliseconds(100));

  const double delivered = static_cast<double>(tally.events) / seconds;
  const double hub_cpu = (hub_after.cpu_seconds - hub_before.cpu_seconds) / seconds;
  const double gateway_cpu = (gateway_after.cpu_seconds - gateway_before.cpu_seconds) / seconds;
  const double p50 = tally.latencies.PercentileMs(0.50), p99 = tally.latencies.PercentileMs(0.99),
               p999 = tally.latencies.PercentileMs(0.999);
  std::printf("fanout  clients=%llu rate=%llu/s resources=%llu seconds=%.1f\n",
              static_cast<unsigned long long>(options.clients), static_cast<unsigned long long>(options.rate),
              static_cast<unsigned long long>(options.resources), seconds);
  std::printf("  published events/s       %12.0f\n", static_cast<double>(published_during) / seconds);
  std::printf("  delivered events/s       %12.0f   (in %llu frames; the rest conflated)\n", delivered,
              static_cast<unsigned long long>(tally.frames));
  if (tally.closed > 0) {
    std::printf("  connections lost         %12llu   (last close code %u)\n",
                static_cast<unsigned long long>(tally.closed), tally.last_close_code);
  }
  std::printf("  end-to-end p50/p99/p99.9 %9.2f / %.2f / %.2f ms (oldest event of each frame)\n", p50, p99, p999);
  std::printf("  gateway CPU              %11.0f%% of one core, peak RSS %.1f MiB\n", gateway_cpu * 100,
              static_cast<double>(gateway_after.peak_rss_bytes) / (1 << 20));
  std::printf("  hub CPU                  %11.0f%% of one core, peak RSS %.1f MiB\n", hub_cpu * 100,
              static_cast<double>(hub_after.peak_rss_bytes) / (1 << 20));
  std::printf("  clients + core CPU       %11.0f%% of one core (one client thread)\n", own_cpu * 100);
  const char* bound = own_cpu >= 0.9                                    ? "the load tool's client thread"
                      : gateway_cpu + hub_cpu + own_cpu >= 1.8           ? "CPU: the machine is saturated"
                      : gateway_cpu >= 0.9 * options.gateway_threads     ? "the gateway's CPU"
                                                                         : "nothing (the offered rate)";
  std::printf("  bound by                 %s\n", bound);
  std::printf("RESULT mode=fanout clients=%llu rate=%llu delivered_per_s=%.0f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f "
              "gateway_cpu=%.2f hub_cpu=%.2f bench_cpu=%.2f gateway_peak_rss_mib=%.1f\n",
              static_cast<unsigned long long>(options.clients), static_cast<unsigned long long>(options.rate),
              delivered, p50, p99, p999, gateway_cpu, hub_cpu, own_cpu,
              static_cast<double>(gateway_after.peak_rss_bytes) / (1 << 20));
  return tally.events > 0 && tally.closed == 0 ? 0 : 1;
}

}  // namespace nanokit::bench
