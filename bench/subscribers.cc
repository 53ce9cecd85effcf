#include "bench/subscribers.h"

#include <boost/asio/steady_timer.hpp>
#include <cstring>

#include "absl/time/clock.h"

namespace nanokit::bench {

namespace net = boost::asio;

namespace {

constexpr std::string_view kEmittedAt = "\"emittedAt\":\"";
static_assert(kEmittedAt[8] == 'A');

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

int64_t ParseTimestampNanos(const char* p, const char* end) {
  // The printer writes 0, 3, 6 or 9 fractional digits and always UTC.
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
  auto literal = [&](char c) { return p < end && *p++ == c; };
  int64_t y, mo, d, h, mi, s;
  if (!num(4, &y) || !literal('-') || !num(2, &mo) || !literal('-') || !num(2, &d) || !literal('T') || !num(2, &h) ||
      !literal(':') || !num(2, &mi) || !literal(':') || !num(2, &s)) {
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

Subscribers::Subscribers(const Target* target, net::io_context& ioc) : target_(target), ioc_(ioc) {
  callbacks_.on_open = [this](LoadClient& client) {
    if (const std::string hello = target_->Hello(client.id()); !hello.empty()) client.Send(hello);
    if (target_->kind() == ServerKind::kNodeWs) OnMessage(client, "");
  };
  callbacks_.on_message = [this](LoadClient& client, std::string_view message) { OnMessage(client, message); };
  callbacks_.on_closed = [this](LoadClient& client, uint16_t code) { OnClosed(client, code); };
}

Subscribers::~Subscribers() { CloseAll(); }

void Subscribers::CloseAll() {
  closing_ = true;
  for (auto& client : clients_) {
    if (client) client->Close();
  }
  ioc_.run_for(std::chrono::milliseconds(50));
}

void Subscribers::StartClient(uint64_t id) {
  ++connecting_;
  clients_[id] = std::make_shared<LoadClient>(ioc_, &callbacks_, id);
  const ClientPlan& plan = target_->plan();
  // On loopback, from 127.0.0.1 to 127.0.0.8 in turn: one source address
  // has ~28,000 ephemeral ports, and the idle runs want more connections.
  net::ip::address local;
  if (plan.endpoint.address() == net::ip::make_address_v4("127.0.0.1")) {
    local = net::ip::make_address_v4(static_cast<net::ip::address_v4::uint_type>(0x7f000001 + id % 8));
  }
  clients_[id]->Connect(plan.endpoint, plan.host, plan.path, plan.headers, local);
}

absl::Status Subscribers::ConnectAll(uint64_t n, absl::Duration timeout, uint64_t parallel) {
  parallel_ = parallel;
  const uint64_t total = clients_.size() + n;
  clients_.resize(total);
  subscribed_.resize(total, false);
  const absl::Time deadline = absl::Now() + timeout;
  while (subscribed_count_ < total && absl::Now() < deadline) {
    while (next_to_start_ < total && connecting_ < parallel_) StartClient(next_to_start_++);
    ioc_.run_for(std::chrono::milliseconds(5));
  }
  if (subscribed_count_ < total) {
    return absl::DeadlineExceededError(absl::StrCat(subscribed_count_, " of ", total, " clients subscribed (",
                                                    tally_.closed, " closed, last code ", tally_.last_close_code, ")"));
  }
  return absl::OkStatus();
}

void Subscribers::RunFor(absl::Duration duration) {
  const absl::Time end = absl::Now() + duration;
  while (absl::Now() < end) ioc_.run_for(std::chrono::milliseconds(5));
}

bool Subscribers::RunUntilAllSubscribed(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (subscribed_count_ < clients_.size() && absl::Now() < deadline) ioc_.run_for(std::chrono::milliseconds(1));
  return subscribed_count_ == clients_.size();
}

void Subscribers::OnMessage(LoadClient& client, std::string_view message) {
  const uint64_t id = client.id();
  if (!subscribed_[id]) {
    if (!target_->IsSubscribedBy(message)) return;
    subscribed_[id] = true;
    ++subscribed_count_;
    if (connecting_ > 0) --connecting_;
  }
  if (target_->kind() == ServerKind::kNats && message.rfind("PING\r\n", 0) == 0) client.Send("PONG\r\n");
  if (!measuring_) return;
  const int64_t now = absl::GetCurrentTimeNanos();
  uint64_t events = 0;
  // memchr to each 'A' (a few per event), then a look around it: several
  // times faster than a substring search, and JSON is full of quotes.
  const char* begin = message.data();
  const char* end = begin + message.size();
  constexpr size_t kA = 8;  // kEmittedAt[kA] == 'A'
  for (const char* p = begin + kA; p < end;) {
    const char* a = static_cast<const char*>(memchr(p, 'A', static_cast<size_t>(end - p)));
    if (a == nullptr) break;
    p = a + 1;
    if (static_cast<size_t>(end - a) < kEmittedAt.size() - kA ||
        std::memcmp(a - kA, kEmittedAt.data(), kEmittedAt.size()) != 0) {
      continue;
    }
    p = a - kA + kEmittedAt.size();
    if (events++ == 0) {
      const int64_t emitted = ParseTimestampNanos(p, end);
      if (emitted > 0) tally_.latencies.Add(now - emitted);
    }
  }
  if (events > 0) {
    tally_.events += events;
    ++tally_.messages;
  }
}

void Subscribers::OnClosed(LoadClient& client, uint16_t code) {
  const uint64_t id = client.id();
  if (closing_) return;
  if (subscribed_[id]) {
    subscribed_[id] = false;
    --subscribed_count_;
  } else if (connecting_ > 0) {
    --connecting_;
  }
  ++tally_.closed;
  if (code != 0) tally_.last_close_code = code;
  if (!reconnect_) return;
  auto timer = std::make_shared<net::steady_timer>(ioc_);
  timer->expires_after(std::chrono::milliseconds(std::uniform_int_distribution<int>(50, 150)(rng_)));
  timer->async_wait([this, timer, id](boost::system::error_code ec) {
    if (!ec && !closing_) StartClient(id);
  });
}

}  // namespace nanokit::bench
