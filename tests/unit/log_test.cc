#include <gtest/gtest.h>

#include "common/log.h"

namespace nanokit::log {
namespace {

const absl::Time kTime = absl::FromUnixMillis(1795000000123);

TEST(LogTest, TextLinesNameTimeLevelAndComponent) {
  EXPECT_EQ(FormatLine(Format::kText, kTime, Level::kWarning, "hub", "stream=3 closed"),
            "2026-11-18T11:06:40.123Z W [hub] stream=3 closed");
}

TEST(LogTest, JsonLinesCarryTheIdAsAField) {
  EXPECT_EQ(FormatLine(Format::kJson, kTime, Level::kInfo, "gateway", "conn=17 WebSocket open"),
            "{\"time\":\"2026-11-18T11:06:40.123Z\",\"level\":\"info\",\"component\":\"gateway\",\"conn\":17,"
            "\"message\":\"conn=17 WebSocket open\"}");
  EXPECT_EQ(FormatLine(Format::kJson, kTime, Level::kError, "hub", "publish stream=4 source=a rejected"),
            "{\"time\":\"2026-11-18T11:06:40.123Z\",\"level\":\"error\",\"component\":\"hub\",\"stream\":4,"
            "\"message\":\"publish stream=4 source=a rejected\"}");
  // Not an id: "upstream=" is not "stream=", and no digits is no id.
  EXPECT_EQ(FormatLine(Format::kJson, kTime, Level::kDebug, "hub", "upstream=5 stream=x"),
            "{\"time\":\"2026-11-18T11:06:40.123Z\",\"level\":\"debug\",\"component\":\"hub\","
            "\"message\":\"upstream=5 stream=x\"}");
  // A later word is still found when an earlier one only looked like it.
  EXPECT_EQ(FormatLine(Format::kJson, kTime, Level::kInfo, "hub", "upstream=5 stream=6 open"),
            "{\"time\":\"2026-11-18T11:06:40.123Z\",\"level\":\"info\",\"component\":\"hub\",\"stream\":6,"
            "\"message\":\"upstream=5 stream=6 open\"}");
}

TEST(LogTest, JsonEscapesWhatAMessageMayHold) {
  EXPECT_EQ(FormatLine(Format::kJson, kTime, Level::kInfo, "hub", "a \"q\" \\ b\nc\x01 wörld"),
            "{\"time\":\"2026-11-18T11:06:40.123Z\",\"level\":\"info\",\"component\":\"hub\","
            "\"message\":\"a \\\"q\\\" \\\\ b\\nc\\u0001 wörld\"}");
}

TEST(LogTest, SettingsAreCheckedByName) {
  EXPECT_TRUE(Apply({"json", "debug"}).ok());
  EXPECT_TRUE(Apply({"text", "info"}).ok());
  EXPECT_EQ(Apply({"yaml", "info"}).message(), "--log-format: \"yaml\" is not text or json");
  EXPECT_EQ(Apply({"text", "loud"}).message(), "--log-level: \"loud\" is not debug, info, warning or error");
}

}  // namespace
}  // namespace nanokit::log
