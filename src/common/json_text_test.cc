#include "common/json_text.h"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

namespace conveyor {
namespace {

std::string String(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

template <typename T>
std::string Number(T value) {
  std::string out;
  AppendJsonNumber(out, value);
  return out;
}

TEST(JsonTextTest, EscapesWhatJsonRequires) {
  EXPECT_EQ(String("plain /path?x=1"), R"("plain /path?x=1")");
  EXPECT_EQ(String("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(String("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(String(std::string_view("\x01\x1f\0", 3)), R"("\u0001\u001f\u0000")");
  EXPECT_EQ(String(""), R"("")");
}

TEST(JsonTextTest, KeepsValidUtf8AndReplacesEveryInvalidByte) {
  EXPECT_EQ(String("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(String("a\xff"), "\"a" + fffd + "\"");
  EXPECT_EQ(String("\xC3"), "\"" + fffd + "\"");                                   // truncated
  EXPECT_EQ(String("\xC0\xAF"), "\"" + fffd + fffd + "\"");                        // overlong
  EXPECT_EQ(String("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");             // surrogate
  EXPECT_EQ(String("\xF4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");  // > U+10FFFF
}

TEST(JsonTextTest, EveryOutputIsValidJsonThatReadsBackTheText) {
  std::string all;
  for (int c = 0; c < 256; ++c) {
    all.push_back(static_cast<char>(c));
  }
  const auto parsed = nlohmann::json::parse(String(all));
  const std::string back = parsed.get<std::string>();
  EXPECT_EQ(back.substr(0, 128), all.substr(0, 128));
}

TEST(JsonTextTest, NumbersAreShortestAndNeverNonFinite) {
  EXPECT_EQ(Number(0.1F), "0.1");
  EXPECT_EQ(Number(0.1), "0.1");
  EXPECT_EQ(Number(1.0F), "1");
  EXPECT_EQ(Number(1e-7F), "1e-07");
  EXPECT_EQ(Number(int64_t{-42}), "-42");
  EXPECT_EQ(Number(uint64_t{18446744073709551615U}), "18446744073709551615");
  EXPECT_EQ(Number(std::numeric_limits<float>::quiet_NaN()), "null");
  EXPECT_EQ(Number(-std::numeric_limits<double>::infinity()), "null");
  const float third = 1.0F / 3.0F;
  EXPECT_EQ(nlohmann::json::parse(Number(third)).get<float>(), third);
}

}  // namespace
}  // namespace conveyor
