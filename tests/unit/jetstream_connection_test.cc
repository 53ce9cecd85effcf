// --nats's server list, and a cluster that cannot be reached.

#include "jetstream/connection.h"

#include <gtest/gtest.h>

namespace nanokit::jetstream {
namespace {

TEST(ParseServersTest, TakesCommaSeparatedNatsUrls) {
  auto servers = ParseServers("nats://10.0.0.1:4222, nats://10.0.0.2:4222,tls://nats.example:4222");
  ASSERT_TRUE(servers.ok()) << servers.status();
  EXPECT_EQ(*servers, (std::vector<std::string>{"nats://10.0.0.1:4222", "nats://10.0.0.2:4222",
                                                "tls://nats.example:4222"}));
}

TEST(ParseServersTest, NamesWhatIsNotANatsUrl) {
  auto bad = ParseServers("nats://10.0.0.1:4222,10.0.0.2:4222");
  ASSERT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_NE(bad.status().message().find("\"10.0.0.2:4222\""), absl::string_view::npos) << bad.status();
  EXPECT_TRUE(absl::IsInvalidArgument(ParseServers(" , ").status()));
}

TEST(ConnectionTest, NoServerReachableIsUnavailable) {
  // A port nothing listens on (the discard port, on loopback).
  ConnectionOptions options;
  options.servers = {"nats://127.0.0.1:9"};
  options.request_timeout = absl::Seconds(1);
  auto connection = Connection::Connect(options);
  ASSERT_FALSE(connection.ok());
  EXPECT_TRUE(absl::IsUnavailable(connection.status())) << connection.status();
}

}  // namespace
}  // namespace nanokit::jetstream
