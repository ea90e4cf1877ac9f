#include "common/base64.h"

#include <gtest/gtest.h>

namespace conveyor {
namespace {

// RFC 4648 section 10's test vectors, both ways.
TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(EncodeBase64(plain), encoded);
    Result<std::string> decoded = DecodeBase64(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64Test, AllByteValuesRoundTrip) {
  std::string bytes;
  for (int i = 0; i < 256; ++i)
    bytes.push_back(static_cast<char>(i));
  EXPECT_EQ(*DecodeBase64(EncodeBase64(bytes)), bytes);
}

TEST(Base64Test, DecodeSkipsWhitespaceAndOptionalPadding) {
  EXPECT_EQ(*DecodeBase64("aGVsbG8="), "hello");
  EXPECT_EQ(*DecodeBase64("aGVs\nbG8"), "hello");
}

TEST(Base64Test, DecodeNamesBadInput) {
  Result<std::string> bad = DecodeBase64("aGVsbG8=x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "invalid base64 character at offset 8");
  bad = DecodeBase64("a");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "truncated base64");
}

}  // namespace
}  // namespace conveyor
