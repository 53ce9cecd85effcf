#include "common/flags.h"

#include <fstream>

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

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

struct ServerFlags {
  std::string listen = "127.0.0.1:7700";
  bool insecure = false;
  uint64_t count = 3;
  absl::Duration interval = absl::Seconds(5);
  std::vector<std::string> origins;
  FlagSet flags{"prog", ""};
  ServerFlags() {
    flags.String("listen", &listen, "");
    flags.Bool("insecure", &insecure, "");
    flags.Uint64("count", &count, "");
    flags.Duration("interval", &interval, "");
    flags.StringList("allowed-origin", &origins, "");
  }
  absl::StatusOr<std::vector<std::string>> Parse(std::vector<std::string> args) {
    args.insert(args.begin(), "prog");
    auto argv = Argv(args);
    return flags.Parse(static_cast<int>(argv.size()), argv.data());
  }
};

TEST(FlagSetTest, ReadsTheSameFlagsFromATomlFile) {
  ServerFlags server;
  const std::string config = WriteFile("server.toml",
                                       "# the hub's settings\n"
                                       "listen = \"0.0.0.0:7700\"\n"
                                       "insecure = true\n"
                                       "interval = \"2s\"\n"
                                       "allowed-origin = [\"https://a.example\", \"https://b.example\"]\n");
  auto positional = server.Parse({"--config", config, "--count", "9"});
  ASSERT_TRUE(positional.ok()) << positional.status();
  EXPECT_EQ(server.listen, "0.0.0.0:7700");
  EXPECT_TRUE(server.insecure);
  EXPECT_EQ(server.count, 9u);
  EXPECT_EQ(server.interval, absl::Seconds(2));
  EXPECT_EQ(server.origins, (std::vector<std::string>{"https://a.example", "https://b.example"}));
}

TEST(FlagSetTest, TheCommandLineWinsOverTheFileAndIniWorksToo) {
  ServerFlags server;
  const std::string config = WriteFile("server.ini", "listen=10.0.0.1:7700\ncount=4\n");
  ASSERT_TRUE(server.Parse({"--listen=127.0.0.1:0", "--config=" + config}).ok());
  EXPECT_EQ(server.listen, "127.0.0.1:0");
  EXPECT_EQ(server.count, 4u);
}

TEST(FlagSetTest, AFileWithAnUnknownNameOrABadValueIsAnError) {
  {
    ServerFlags server;
    auto result = server.Parse({"--config", WriteFile("typo.toml", "lisen = \"x\"\n")});
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.status().message().find("lisen"), absl::string_view::npos) << result.status();
  }
  {
    ServerFlags server;
    auto result = server.Parse({"--config", WriteFile("bad.toml", "interval = \"soon\"\n")});
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.status().message().find("--interval"), absl::string_view::npos) << result.status();
  }
  ServerFlags server;
  EXPECT_FALSE(server.Parse({"--config", ::testing::TempDir() + "/missing.toml"}).ok());
}

TEST(FlagSetTest, BooleansTakeAnExplicitValueAndPositionalsMayComeBetweenFlags) {
  ServerFlags server;
  server.insecure = true;
  auto positional = server.Parse({"status", "--insecure=false", "--allowed-origin", "a", "b", "--count", "1", "--count",
                                  "2", "--", "--c"});
  ASSERT_TRUE(positional.ok()) << positional.status();
  EXPECT_FALSE(server.insecure);
  EXPECT_EQ(server.count, 2u) << "the last one wins";
  EXPECT_EQ(server.origins, std::vector<std::string>{"a"});
  EXPECT_EQ(*positional, (std::vector<std::string>{"status", "b", "--c"}));
}

TEST(FlagSetTest, DurationsAcceptBareSeconds) {
  EXPECT_EQ(*ParseDurationFlag("2"), absl::Seconds(2));
  EXPECT_EQ(*ParseDurationFlag("1m30s"), absl::Seconds(90));
  EXPECT_FALSE(ParseDurationFlag("abc").ok());
}

}  // namespace
}  // namespace nanokit
