#include "serving/model_input.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ml/preprocessing.h"
#include "serving/image_header.h"

namespace conveyor::serving {
namespace {

ml::ModelSpec Spec(bool deskew = true) {
  ml::ModelSpec spec;
  spec.name = "digits";
  spec.input = {.rows = 20, .cols = 20, .scale = 1.0 / 255.0, .deskew = deskew};
  for (int k = 0; k < 10; ++k) {
    spec.labels.push_back(std::to_string(k));
  }
  // A "1"-ish stroke, slanted.
  spec.sample_input.pixels.assign(400, 0);
  for (size_t r = 3; r < 17; ++r) {
    spec.sample_input.pixels[r * 20 + 8 + r / 4] = 255;
    spec.sample_input.pixels[r * 20 + 9 + r / 4] = 180;
  }
  spec.sample_input.expected_label = "1";
  return spec;
}

cv::Mat SampleMat(const ml::ModelSpec& spec) {
  cv::Mat mat(20, 20, CV_8UC1);
  for (int i = 0; i < 400; ++i) {
    mat.at<uint8_t>(i / 20, i % 20) = static_cast<uint8_t>(spec.sample_input.pixels[i]);
  }
  return mat;
}

std::string Encode(const cv::Mat& mat, const std::string& ext) {
  std::vector<uint8_t> out;
  EXPECT_TRUE(cv::imencode(ext, mat, out)) << ext;
  return {out.begin(), out.end()};
}

std::vector<float> TrainingFeatures(const ml::ModelSpec& spec) {
  const std::vector<float> raw(spec.sample_input.pixels.begin(), spec.sample_input.pixels.end());
  return *ml::ApplyPreprocessing(spec.input, raw);
}

TEST(ModelInputTest, LosslessImagesGiveExactlyTheTrainingFeatures) {
  const ml::ModelSpec spec = Spec();
  const std::vector<float> expected = TrainingFeatures(spec);
  for (const std::string ext : {".png", ".bmp", ".pgm"}) {
    const std::string bytes = Encode(SampleMat(spec), ext);
    InputResult rows = DecodeImageInput(spec, bytes);
    ASSERT_TRUE(rows.ok()) << ext << ": " << rows.error().message;
    EXPECT_EQ(rows.value().rows, 1U);
    EXPECT_EQ(rows.value().cols, 400U);
    EXPECT_EQ(rows.value().values, expected) << ext;
  }
}

TEST(ModelInputTest, JpegDecodesCloseToTheTrainingFeatures) {
  const ml::ModelSpec spec = Spec(/*deskew=*/false);
  const std::string bytes = Encode(SampleMat(spec), ".jpg");
  InputResult rows = DecodeModelInput(spec, "image/jpeg", bytes);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  const std::vector<float> expected = TrainingFeatures(spec);
  double error = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    error += std::abs(rows.value().values[i] - expected[i]);
  }
  EXPECT_LT(error / 400, 0.05);
}

TEST(ModelInputTest, ColourImageIsConvertedToGrayAndResized) {
  const ml::ModelSpec spec = Spec(/*deskew=*/false);
  cv::Mat colour(80, 60, CV_8UC3, cv::Scalar(0, 0, 255));  // pure red, BGR
  InputResult rows = DecodeModelInput(spec, "image/png", Encode(colour, ".png"));
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows.value().cols, 400U);
  // cvtColor BGR2GRAY of pure red: 0.299 * 255 = 76.
  for (float v : rows.value().values) {
    EXPECT_NEAR(v, 76.0 / 255.0, 1e-6);
  }
}

TEST(ModelInputTest, MultipartUploadOfAnImage) {
  const ml::ModelSpec spec = Spec();
  const std::string png = Encode(SampleMat(spec), ".png");
  const std::string body =
      "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\n"
      "Content-Type: image/png\r\n\r\n" +
      png + "\r\n--b--\r\n";
  InputResult rows = DecodeModelInput(spec, "multipart/form-data; boundary=b", body);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ(rows.value().values, TrainingFeatures(spec));

  InputResult wrong =
      DecodeModelInput(spec, "multipart/form-data; boundary=b",
                       "--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b\r\n"
                       "Content-Disposition: form-data; name=c\r\n\r\ny\r\n--b--");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message, "multipart body needs a part named 'file' (parts: 'a', 'c')");
}

TEST(ModelInputTest, BadImagesAreInvalid) {
  const ml::ModelSpec spec = Spec();
  const std::string png = Encode(SampleMat(spec), ".png");
  struct Case {
    std::string bytes;
    InputErrorKind kind;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", InputErrorKind::kInvalid, "empty image"},
      {png.substr(0, 20), InputErrorKind::kInvalid, "png: truncated header"},
      {png.substr(0, png.size() / 2), InputErrorKind::kInvalid,
       "png: cannot decode image: PNG: truncated: "},
      {"GIF89a....", InputErrorKind::kUnsupportedMedia,
       "not a PNG, JPEG, BMP or PGM image (unrecognised leading bytes)"},
      {"P5\n# comment\n", InputErrorKind::kInvalid, "netpbm: truncated header"},
  };
  for (const Case& c : cases) {
    InputResult rows = DecodeImageInput(spec, c.bytes);
    ASSERT_FALSE(rows.ok()) << c.message;
    EXPECT_EQ(rows.error().kind, c.kind) << c.message;
    // The message starts with the case's text (the decoder adds details).
    EXPECT_EQ(rows.error().message.rfind(c.message, 0), 0U) << rows.error().message;
  }
  EXPECT_EQ(HttpStatusFor(InputErrorKind::kInvalid), 422);
  EXPECT_EQ(HttpStatusFor(InputErrorKind::kTooLarge), 413);
  EXPECT_EQ(HttpStatusFor(InputErrorKind::kUnsupportedMedia), 415);
}

TEST(ModelInputTest, PixelBombIsRefusedFromItsHeader) {
  const ml::ModelSpec spec = Spec();
  // A valid 1x1 PNG whose IHDR is patched to claim 20000x20000: the decoder
  // must never see it (the CRC is now wrong too, which does not matter).
  std::string png = Encode(cv::Mat(1, 1, CV_8UC1, cv::Scalar(0)), ".png");
  const uint32_t big = 20000;
  for (int at : {16, 20}) {
    png[at] = static_cast<char>(big >> 24);
    png[at + 1] = static_cast<char>((big >> 16) & 0xFF);
    png[at + 2] = static_cast<char>((big >> 8) & 0xFF);
    png[at + 3] = static_cast<char>(big & 0xFF);
  }
  InputResult rows = DecodeImageInput(spec, png);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().kind, InputErrorKind::kTooLarge);
  EXPECT_EQ(rows.error().message, "image is 20000x20000 pixels, the limit is 4096x4096");

  // A real image over a (lowered) limit.
  const std::string bmp = Encode(cv::Mat(300, 200, CV_8UC1, cv::Scalar(9)), ".bmp");
  InputResult over = DecodeImageInput(spec, bmp, {.max_width = 100, .max_height = 100});
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().kind, InputErrorKind::kTooLarge);
  EXPECT_EQ(over.error().message, "image is 200x300 pixels, the limit is 100x100");
}

TEST(ModelInputTest, HeadersOfEveryFormat) {
  const cv::Mat mat(30, 50, CV_8UC1, cv::Scalar(1));
  for (const std::string ext : {".png", ".bmp", ".pgm", ".jpg"}) {
    const std::string bytes = Encode(mat, ext);
    auto header = ReadImageHeader(bytes);
    ASSERT_TRUE(header.ok()) << ext << ": " << header.status().message();
    EXPECT_EQ(header->width, 50) << ext;
    EXPECT_EQ(header->height, 30) << ext;
    // Every truncation is read without going past its end (run under ASan).
    for (size_t n = 0; n < std::min<size_t>(bytes.size(), 700); ++n) {
      const std::string prefix = bytes.substr(0, n);
      auto partial = ReadImageHeader(prefix);
      if (partial.ok()) {
        EXPECT_EQ(partial->width, 50) << ext << " " << n;
      }
    }
  }
}

TEST(ModelInputTest, JsonForms) {
  const ml::ModelSpec spec = Spec();
  const std::vector<float> expected = TrainingFeatures(spec);
  std::string pixels = "[";
  for (size_t i = 0; i < 400; ++i) {
    pixels += (i ? "," : "") + std::to_string(spec.sample_input.pixels[i]);
  }
  pixels += "]";

  InputResult one = DecodeModelInput(spec, "application/json", R"({"features": )" + pixels + "}");
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(one.value().values, expected);

  InputResult two = DecodeJsonInput(spec, R"({"instances": [)" + pixels + "," + pixels + "]}");
  ASSERT_TRUE(two.ok()) << two.error().message;
  EXPECT_EQ(two.value().rows, 2U);
  EXPECT_EQ(std::vector<float>(two.value().row(1).begin(), two.value().row(1).end()), expected);

  const std::string png = Encode(SampleMat(spec), ".png");
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  for (size_t i = 0; i < png.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(png[i]) << 16;
    n |= i + 1 < png.size() ? static_cast<uint8_t>(png[i + 1]) << 8 : 0;
    n |= i + 2 < png.size() ? static_cast<uint8_t>(png[i + 2]) : 0;
    b64 += alphabet[(n >> 18) & 63];
    b64 += alphabet[(n >> 12) & 63];
    b64 += i + 1 < png.size() ? alphabet[(n >> 6) & 63] : '=';
    b64 += i + 2 < png.size() ? alphabet[n & 63] : '=';
  }
  InputResult image = DecodeJsonInput(spec, R"({"image_base64": ")" + b64 + "\"}");
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_EQ(image.value().values, expected);

  struct Case {
    std::string json;
    std::string message;
  };
  const std::vector<Case> bad = {
      {"[1]", "JSON body must be an object with 'features', 'instances' or 'image_base64'"},
      {R"({"features": [1, 2]})", "input has 2 pixels, expected 400 (20x20)"},
      {R"({"features": [1, "a"]})", "'features'[1] is not a number"},
      {R"({"instances": []})", "'instances' must be a non-empty array of rows"},
      {R"({"instances": [[1]]})", "row 1: input has 1 pixels, expected 400 (20x20)"},
      {R"({"features": [], "instances": []})",
       "JSON body must have exactly one of 'features', 'instances', 'image_base64'"},
      {R"({"image_base64": "!!"})", "'image_base64': invalid base64 character at offset 0"},
  };
  for (const Case& c : bad) {
    InputResult rows = DecodeJsonInput(spec, c.json);
    ASSERT_FALSE(rows.ok()) << c.json;
    EXPECT_EQ(rows.error().kind, InputErrorKind::kInvalid);
    EXPECT_EQ(rows.error().message, c.message);
  }
  InputResult malformed = DecodeJsonInput(spec, "{");
  ASSERT_FALSE(malformed.ok());
  EXPECT_TRUE(malformed.error().message.starts_with("malformed JSON: "))
      << malformed.error().message;
}

TEST(ModelInputTest, CsvRows) {
  ml::ModelSpec spec = Spec(/*deskew=*/false);
  spec.input.rows = 1;
  spec.input.cols = 3;
  InputResult rows =
      DecodeModelInput(spec, "text/csv; charset=utf-8", "a,b,c\r\n0, 51,255\n\n1,2,3\n");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ(rows.value().rows, 2U);
  EXPECT_FLOAT_EQ(rows.value().values[1], 0.2F);

  InputResult bad = DecodeCsvInput(spec, "1,2,3\n1,x,3\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "CSV line 2 column 2: 'x' is not a finite number");
  InputResult shape = DecodeCsvInput(spec, "1,2\n");
  ASSERT_FALSE(shape.ok());
  EXPECT_EQ(shape.error().message, "CSV line 1: row 1: input has 2 pixels, expected 3 (1x3)");
  InputResult many = DecodeCsvInput(spec, "1,2,3\n1,2,3\n1,2,3\n", {.max_rows = 2});
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().kind, InputErrorKind::kTooLarge);
}

TEST(ModelInputTest, UnsupportedContentType) {
  InputResult rows = DecodeModelInput(Spec(), "text/html", "<p>");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().kind, InputErrorKind::kUnsupportedMedia);
  EXPECT_EQ(rows.error().message,
            "unsupported Content-Type 'text/html' (expected an image, multipart/form-data, "
            "application/json or text/csv)");
}

}  // namespace
}  // namespace conveyor::serving
