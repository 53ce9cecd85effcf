#include "common/token.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "tests/support/stack.h"

namespace nanokit {
namespace {

TEST(TokenTest, GeneratesDistinctBase64UrlTokensOf32Bytes) {
  auto a = GenerateToken();
  auto b = GenerateToken();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 43u);  // 32 bytes, base64url, unpadded
  EXPECT_NE(*a, *b);
  for (char c : *a) EXPECT_TRUE(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << c;
}

TEST(TokenTest, WritesMode0600AndKeepsAnExistingToken) {
  testing::TempDir dir;
  const std::string path = dir.File("sub/.nanokit/token");
  ASSERT_TRUE(WriteTokenFile(path, "first", false).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto again = WriteTokenFile(path, "second", false);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(*LoadTokenFile(path), "first");
  chmod(path.c_str(), 0644);
  ASSERT_TRUE(WriteTokenFile(path, "third", true).ok());
  EXPECT_EQ(*LoadTokenFile(path), "third");
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
}

TEST(TokenTest, LoadErrorsNameTheFileNotTheContent) {
  testing::TempDir dir;
  auto missing = LoadTokenFile(dir.File("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(dir.File("nope")), absl::string_view::npos);
  ASSERT_TRUE(WriteTokenFile(dir.File("empty"), "  ", false).ok());
  EXPECT_FALSE(LoadTokenFile(dir.File("empty")).ok());
}

TEST(TokenTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace nanokit
