#include "common/flags.h"

#include <gtest/gtest.h>

namespace nanokit {
namespace {

std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return argv;
}

TEST(FlagSetTest, ParsesEveryKindInBothSpellings) {
  std::string listen = "127.0.0.1:7700";
  bool insecure = false;
  uint64_t count = 3;
  absl::Duration interval = absl::Seconds(5);
  std::vector<std::string> origins;
  FlagSet flags("prog", "");
  flags.String("listen", &listen, "");
  flags.Bool("insecure", &insecure, "");
  flags.Uint64("count", &count, "");
  flags.Duration("interval", &interval, "");
  flags.StringList("origin", &origins, "");
  std::vector<std::string> args = {"prog", "--listen=0.0.0.0:1", "--insecure", "--count", "7", "--interval",
                                   "500ms", "--origin", "a", "--origin=b", "pos"};
  auto argv = Argv(args);
  auto positional = flags.Parse(static_cast<int>(argv.size()), argv.data());
  ASSERT_TRUE(positional.ok()) << positional.status();
  EXPECT_EQ(*positional, std::vector<std::string>{"pos"});
  EXPECT_EQ(listen, "0.0.0.0:1");
  EXPECT_TRUE(insecure);
  EXPECT_EQ(count, 7u);
  EXPECT_EQ(interval, absl::Milliseconds(500));
  EXPECT_EQ(origins, (std::vector<std::string>{"a", "b"}));
}

TEST(FlagSetTest, UnknownFlagNamesTheFlag) {
  FlagSet flags("prog", "");
  std::vector<std::string> args = {"prog", "--nope=1"};
  auto argv = Argv(args);
  auto result = flags.Parse(static_cast<int>(argv.size()), argv.data());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("--nope"), absl::string_view::npos);
}

TEST(FlagSetTest, BadValuesAreErrors) {
  uint64_t count = 0;
  absl::Duration interval;
  FlagSet flags("prog", "");
  flags.Uint64("count", &count, "");
  flags.Duration("interval", &interval, "");
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"prog", "--count", "x"}, {"prog", "--interval", "soon"}, {"prog", "--interval", "-1s"}, {"prog", "--count"}}) {
    auto argv = Argv(args);
    EXPECT_FALSE(flags.Parse(static_cast<int>(argv.size()), argv.data()).ok()) << args[1];
  }
}

TEST(FlagSetTest, HelpListsEveryFlagWithItsDefault) {
  std::string listen = "127.0.0.1:7700";
  absl::Duration interval = absl::Seconds(5);
  FlagSet flags("prog", "[flags]");
  flags.String("listen", &listen, "Where to listen.");
  flags.Duration("heartbeat-interval", &interval, "Heartbeat.");
  std::string help = flags.Help();
  EXPECT_NE(help.find("--listen"), std::string::npos);
  EXPECT_NE(help.find("127.0.0.1:7700"), std::string::npos);
  EXPECT_NE(help.find("--heartbeat-interval"), std::string::npos);
  EXPECT_NE(help.find("5s"), std::string::npos);
}

TEST(FlagSetTest, DurationsAcceptBareSeconds) {
  EXPECT_EQ(*ParseDurationFlag("2"), absl::Seconds(2));
  EXPECT_EQ(*ParseDurationFlag("1m30s"), absl::Seconds(90));
  EXPECT_FALSE(ParseDurationFlag("abc").ok());
}

}  // namespace
}  // namespace nanokit
