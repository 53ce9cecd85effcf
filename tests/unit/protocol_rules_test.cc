// The rules hub, gateway and core library share (protocol/), each tested
// once here; the name rule against the vectors the JavaScript client checks
// too (tests/vectors/rules/names.json).
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "protocol/backoff.h"
#include "protocol/conflation.h"
#include "protocol/dropped_lines.h"
#include "protocol/names.h"
#include "protocol/resource_key.h"
#include "protocol/resume_window.h"

namespace nanokit::protocol {
namespace {

google::protobuf::Struct LoadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  google::protobuf::Struct out;
  auto status = google::protobuf::util::JsonStringToMessage(text.str(), &out);
  EXPECT_TRUE(status.ok()) << path << ": " << status.message().as_string();
  return out;
}

std::vector<std::string> Strings(const google::protobuf::Struct& root, const std::string& group,
                                 const std::string& which) {
  std::vector<std::string> out;
  for (const auto& v : root.fields().at(group).struct_value().fields().at(which).list_value().values()) {
    out.push_back(v.string_value());
  }
  return out;
}

TEST(NamesTest, ProjectNamesFollowTheVectors) {
  auto vectors = LoadJson(NANOKIT_VECTORS_DIR "/rules/names.json");
  const auto valid = Strings(vectors, "projectNames", "valid");
  const auto invalid = Strings(vectors, "projectNames", "invalid");
  ASSERT_GE(valid.size(), 5u);
  ASSERT_GE(invalid.size(), 5u);
  for (const auto& name : valid) EXPECT_TRUE(IsValidProjectName(name)) << name;
  for (const auto& name : invalid) EXPECT_FALSE(IsValidProjectName(name)) << name;
}

TEST(NamesTest, ResourceIdsFollowTheVectors) {
  auto vectors = LoadJson(NANOKIT_VECTORS_DIR "/rules/names.json");
  for (const auto& id : Strings(vectors, "resourceIds", "valid")) EXPECT_TRUE(IsValidResourceId(id)) << id;
  for (const auto& id : Strings(vectors, "resourceIds", "invalid")) EXPECT_FALSE(IsValidResourceId(id)) << id;
}

TEST(NamesTest, ErrorsStateTheRuleAndShortenTheName) {
  absl::Status status = CheckProjectName("-x");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("starts with a letter or digit"), absl::string_view::npos) << status.message();
  status = CheckProjectName(std::string(1000, '-'));
  EXPECT_LT(status.message().size(), 200u);
  EXPECT_TRUE(CheckProjectName("demo").ok());
  EXPECT_TRUE(CheckResourceId("web").ok());
  EXPECT_FALSE(CheckResourceId("a b").ok());
}

TEST(NamesTest, QuotedTextIsShortPrintableAndNeverCutInsideACharacter) {
  EXPECT_EQ(Quoted("web"), "\"web\"");
  EXPECT_EQ(Quoted("a\nb"), "\"a\\nb\"");
  // 63 letters and a two-byte character across the 64-byte cut: escaped,
  // so the result is plain ASCII (valid UTF-8) whatever the input.
  // (Appended rather than `string(63, 'a') + "..."`, on which GCC 12 warns
  // falsely: its -Warray-bounds bug 105329.)
  std::string input(63, 'a');
  input.append("\xc3\xa9").append(100, 'b');
  const std::string quoted = Quoted(input);
  for (char c : quoted) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << quoted;
  EXPECT_NE(quoted.find("..."), std::string::npos);
}

// Feeds (key, kind) oldest first, the way a queue holds them, and returns
// the indexes kept.
std::vector<int> Kept(const std::vector<std::pair<std::string, UpdateKind>>& updates) {
  Conflator conflator;
  std::vector<bool> keep(updates.size(), true);
  for (size_t i = updates.size(); i-- > 0;) keep[i] = !conflator.Superseded(updates[i].first, updates[i].second);
  std::vector<int> out;
  for (size_t i = 0; i < keep.size(); ++i) {
    if (keep[i]) out.push_back(static_cast<int>(i));
  }
  return out;
}

TEST(ConflationTest, OnlyTheNewestOfAKeyIsKept) {
  using K = UpdateKind;
  EXPECT_EQ(Kept({{"a", K::kLatestWins}, {"b", K::kLatestWins}, {"a", K::kLatestWins}}), (std::vector<int>{1, 2}));
}

TEST(ConflationTest, ARemovalIsNeverSupersededButSupersedesWhatCameBefore) {
  using K = UpdateKind;
  // status a, remove a, status a (a new resource): the first status goes,
  // the removal and the new status stay.
  EXPECT_EQ(Kept({{"a", K::kLatestWins}, {"a", K::kRemoval}, {"a", K::kLatestWins}}), (std::vector<int>{1, 2}));
  // Two removals with a status between them: all three matter.
  EXPECT_EQ(Kept({{"a", K::kRemoval}, {"a", K::kLatestWins}, {"a", K::kRemoval}}), (std::vector<int>{0, 2}));
}

TEST(ResumeWindowTest, BoundedByCountAndBytesOldestFirst) {
  ResumeWindow<int> window(3, 100);
  for (uint64_t seq = 1; seq <= 5; ++seq) window.Append(seq, 10, static_cast<int>(seq));
  EXPECT_EQ(window.size(), 3u);
  EXPECT_EQ(window.bytes(), 30u);
  EXPECT_EQ(window.After(0)->seq, 3u);
  window.Append(6, 95, 6);  // past the byte bound: only it stays
  EXPECT_EQ(window.size(), 1u);
  EXPECT_EQ(window.bytes(), 95u);
}

TEST(ResumeWindowTest, ResumesOnlyWhatItStillHoldsOfTheSameHistory) {
  ResumeWindow<int> window(3, 1000);
  for (uint64_t seq = 1; seq <= 5; ++seq) window.Append(seq, 1, 0);  // holds 3..5
  EXPECT_TRUE(window.CanResume("e1", 5, "e1", 5)) << "up to date";
  EXPECT_TRUE(window.CanResume("e1", 2, "e1", 5)) << "needs 3..5, all held";
  EXPECT_FALSE(window.CanResume("e1", 1, "e1", 5)) << "needs 2, evicted";
  EXPECT_FALSE(window.CanResume("e0", 5, "e1", 5)) << "another history";
  EXPECT_FALSE(window.CanResume("", 5, "e1", 5)) << "asks for a snapshot";
  EXPECT_FALSE(window.CanResume("e1", 6, "e1", 5)) << "ahead of us";
  EXPECT_EQ(window.After(3)->seq, 4u);
  EXPECT_EQ(window.After(5), window.end());

  ResumeWindow<int> empty(3, 1000);
  EXPECT_TRUE(empty.CanResume("e1", 7, "e1", 7)) << "nothing missed";
  EXPECT_FALSE(empty.CanResume("e1", 6, "e1", 7)) << "seq 7 is not held";
}

TEST(BackoffTest, DoublesWithJitterUpToTheMaximumAndResets) {
  Backoff backoff(absl::Milliseconds(100), absl::Seconds(1), /*seed=*/42);
  absl::Duration base = absl::Milliseconds(100);
  for (int i = 0; i < 8; ++i) {
    const absl::Duration delay = backoff.Next();
    EXPECT_GE(delay, base / 2) << i;
    EXPECT_LT(delay, base) << i;
    base = std::min(base * 2, absl::Seconds(1));
  }
  backoff.Reset();
  EXPECT_LT(backoff.Next(), absl::Milliseconds(100));
}

TEST(BackoffTest, DelaysAreSpreadSoClientsDoNotReconnectTogether) {
  Backoff a(absl::Seconds(1), absl::Seconds(1), 1);
  Backoff b(absl::Seconds(1), absl::Seconds(1), 2);
  EXPECT_NE(a.Next(), b.Next());
}

TEST(DroppedLinesTest, CountsAreToldOnceAndIncludeWhatADroppedMessageTold) {
  DroppedLines dropped;
  const std::string web = ResourceKey("demo", "web");
  dropped.AddDroppedMessage(web, 3, 2);
  dropped.Add(web, 1);
  dropped.Add(ResourceKey("demo", "db"), 0);
  EXPECT_EQ(dropped.Take(ResourceKey("demo", "db")), 0u);
  EXPECT_EQ(dropped.Take(web), 6u);
  EXPECT_EQ(dropped.Take(web), 0u);
  EXPECT_TRUE(dropped.empty());
}

TEST(ResourceKeyTest, DistinguishesProjectFromResource) {
  EXPECT_NE(ResourceKey("a", "bc"), ResourceKey("ab", "c"));
}

}  // namespace
}  // namespace nanokit::protocol
