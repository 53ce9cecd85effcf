#pragma once
// The subscribers of a run: N load clients of one target on one io_context
// (the caller's thread), and what they saw: events counted one by one inside
// batches, end-to-end latency from each event's emittedAt, closes, and who
// is subscribed right now.

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bench/latency.h"
#include "bench/load_client.h"
#include "bench/targets.h"

namespace nanokit::bench {

struct Tally {
  uint64_t events = 0;    // "emittedAt" seen while measuring
  uint64_t messages = 0;  // WebSocket messages holding at least one
  uint64_t closed = 0;    // connections ended by the server or the network
  uint16_t last_close_code = 0;
  Latencies latencies;  // the oldest event of each message: the worst in it
};

class Subscribers {
 public:
  Subscribers(const Target* target, boost::asio::io_context& ioc);
  ~Subscribers();

  // Connects n more clients, at most `parallel` handshakes at a time, and
  // runs the io_context until all of them are subscribed.
  absl::Status ConnectAll(uint64_t n, absl::Duration timeout, uint64_t parallel = 256);
  // Runs the io_context for this long.
  void RunFor(absl::Duration duration);
  // Runs until every client is subscribed again, or the timeout; false then.
  bool RunUntilAllSubscribed(absl::Duration timeout);

  void set_measuring(bool measuring) { measuring_ = measuring; }
  // A closed client connects again after 50–150 ms (as a dashboard would)
  // instead of counting as lost.
  void set_reconnect(bool reconnect) { reconnect_ = reconnect; }
  Tally& tally() { return tally_; }
  uint64_t size() const { return clients_.size(); }
  uint64_t subscribed() const { return subscribed_count_; }
  void CloseAll();

 private:
  void StartClient(uint64_t id);
  void OnMessage(LoadClient& client, std::string_view message);
  void OnClosed(LoadClient& client, uint16_t code);

  const Target* const target_;
  boost::asio::io_context& ioc_;
  LoadClient::Callbacks callbacks_;
  std::vector<std::shared_ptr<LoadClient>> clients_;
  std::vector<bool> subscribed_;
  uint64_t subscribed_count_ = 0;
  uint64_t connecting_ = 0;
  uint64_t next_to_start_ = 0;
  uint64_t parallel_ = 256;
  bool measuring_ = false;
  bool reconnect_ = false;
  bool closing_ = false;
  Tally tally_;
  std::mt19937 rng_{42};
};

// "2026-11-26T03:00:54.120Z" -> Unix nanoseconds; -1 if not that shape.
int64_t ParseTimestampNanos(const char* p, const char* end);

}  // namespace nanokit::bench
