#include "serving/multipart.h"

#include <gtest/gtest.h>

namespace conveyor::serving {
namespace {

constexpr std::string_view kType = "multipart/form-data; boundary=XyZ";

TEST(MultipartTest, ParsesPartsWithPreambleAndEpilogue) {
  const std::string body =
      "preamble to ignore\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"file\"; filename=\"seven.png\"\r\n"
      "content-type: image/png\r\n"
      "\r\n"
      "\x89PNG\r\nbytes\r\n"
      "--XyZ  \r\n"
      "Content-Disposition: form-data; name=note\r\n"
      "\r\n"
      "hello\r\n"
      "--XyZ--\r\n"
      "epilogue";
  auto parts = ParseMultipart(kType, body);
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 2U);
  EXPECT_EQ((*parts)[0].name, "file");
  EXPECT_EQ((*parts)[0].filename, "seven.png");
  EXPECT_EQ((*parts)[0].content_type, "image/png");
  EXPECT_EQ((*parts)[0].body, "\x89PNG\r\nbytes");
  EXPECT_EQ((*parts)[1].name, "note");
  EXPECT_FALSE((*parts)[1].filename.has_value());
  EXPECT_EQ((*parts)[1].content_type, "text/plain");
  EXPECT_EQ((*parts)[1].body, "hello");
}

TEST(MultipartTest, QuotedBoundaryAndEmptyPart) {
  const std::string body =
      "--a b:c\r\n"
      "Content-Disposition: form-data; name=\"empty\"\r\n"
      "\r\n"
      "\r\n"
      "--a b:c--";
  auto parts = ParseMultipart("Multipart/Form-Data; charset=utf-8; boundary=\"a b:c\"", body);
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 1U);
  EXPECT_EQ((*parts)[0].body, "");
}

TEST(MultipartTest, OneMebibytePart) {
  std::string payload(1 << 20, '\0');
  for (size_t i = 0; i < payload.size(); ++i) {
    payload[i] = static_cast<char>((i * 131) % 251);  // includes \r, \n and '-'
  }
  const std::string body = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" +
                           payload + "\r\n--XyZ--\r\n";
  auto parts = ParseMultipart(kType, body);
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 1U);
  EXPECT_EQ((*parts)[0].body.size(), payload.size());
  EXPECT_TRUE((*parts)[0].body == payload);
}

struct BadCase {
  std::string content_type;
  std::string body;
  std::string error;
};

TEST(MultipartTest, RejectsMalformedBodiesWithClearErrors) {
  const std::string disposition = "Content-Disposition: form-data; name=\"f\"\r\n";
  std::string many;
  for (int i = 0; i < 17; ++i) {
    many += "--XyZ\r\n" + disposition + "\r\nx\r\n";
  }
  many += "--XyZ--";
  const std::vector<BadCase> cases = {
      {"multipart/form-data", "x", "multipart/form-data without a boundary parameter"},
      {"multipart/form-data; boundary=", "x",
       "multipart boundary must have 1 to 70 characters, got 0"},
      {"multipart/form-data; boundary=\"abc", "x",
       "Content-Type: parameter 'boundary' has an unterminated quoted value"},
      {"application/json", "{}",
       "Content-Type is 'application/json', expected multipart/form-data"},
      {std::string(kType), "", "empty multipart body"},
      {std::string(kType), "no delimiter here", "multipart body has no boundary line '--XyZ'"},
      {std::string(kType), "--XyZ\r\n" + disposition + "\r\ndata that never ends",
       "multipart body has no closing boundary '--XyZ--'"},
      {std::string(kType), "--XyZ\r\n" + disposition + "\r\ndata\r\n--XyZ\r\n",
       "multipart body has no closing boundary '--XyZ--'"},
      {std::string(kType), "--XyZ junk\r\n",
       "multipart boundary line '--XyZ' is not followed by CRLF"},
      {std::string(kType), "--XyZ\r\nNoColonHere\r\n\r\nx\r\n--XyZ--",
       "multipart part 1: malformed header line 'NoColonHere' (expected 'Name: value')"},
      {std::string(kType), "--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--",
       "multipart part 1: missing Content-Disposition header"},
      {std::string(kType), "--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--XyZ--",
       "multipart part 1: Content-Disposition is 'attachment', expected form-data"},
      {std::string(kType),
       "--XyZ\r\nContent-Disposition: form-data; filename=a\r\n\r\nx\r\n--XyZ--",
       "multipart part 1: Content-Disposition has no name parameter"},
      {std::string(kType), "--XyZ\r\nContent-Disposition: form-data; name\r\n\r\nx\r\n--XyZ--",
       "multipart part 1: Content-Disposition: parameter 'name' has no value"},
      {std::string(kType), "--XyZ\r\n" + disposition + " folded\r\n\r\nx\r\n--XyZ--",
       "multipart part 1: folded header lines are not allowed"},
      {std::string(kType), "--XyZ\r\n" + disposition + "\r\nx\r\n--XyZ\r\nA: b\nC: d\r\n\r\n",
       "multipart part 2: header lines must end with CRLF"},
      {std::string(kType), "--XyZ\r\n" + disposition + "x",
       "multipart part 1: headers are not ended by an empty line"},
      {std::string(kType), "--XyZ\r\nX: " + std::string(9000, 'a') + "\r\n\r\n--XyZ--",
       "multipart part 1: headers longer than 8192 bytes"},
      {std::string(kType), many, "multipart body has more than 16 parts"},
  };
  for (const BadCase& c : cases) {
    auto parts = ParseMultipart(c.content_type, c.body);
    ASSERT_FALSE(parts.ok()) << c.body;
    EXPECT_EQ(parts.status().code(), Code::kInvalid);
    EXPECT_EQ(parts.status().message(), c.error) << c.body;
  }
}

TEST(MultipartTest, NoPartsIsAnEmptyList) {
  auto parts = ParseMultipart(kType, "--XyZ--\r\n");
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  EXPECT_TRUE(parts->empty());
}

// Every prefix of a valid body either parses or fails cleanly (never reads
// past the end; run under ASan to catch it).
TEST(MultipartTest, EveryTruncationFailsCleanly) {
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n"
      "Content-Type: image/png\r\n\r\nabc\r\n--XyZ--\r\n";
  for (size_t n = 0; n < body.size(); ++n) {
    const std::string prefix = body.substr(0, n);
    auto parts = ParseMultipart(kType, prefix);
    if (n < body.size() - 2) {
      EXPECT_FALSE(parts.ok()) << n;
    }
  }
}

TEST(MultipartTest, HeaderValueParameters) {
  auto value = ParseHeaderValue(R"(form-data; name="a\"b"; filename=c.png ; x="")");
  ASSERT_TRUE(value.ok()) << value.status().message();
  EXPECT_EQ(value->type, "form-data");
  EXPECT_EQ(value->Param("name"), "a\"b");
  EXPECT_EQ(value->Param("filename"), "c.png");
  EXPECT_EQ(value->Param("x"), "");
  EXPECT_FALSE(value->Param("y").has_value());
}

}  // namespace
}  // namespace conveyor::serving
