#include "ml/samples.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace conveyor::ml {
namespace {

SampleSet TwoSamples() {
  SampleSet s;
  s.rows = 2;
  s.cols = 3;
  s.Add(7, std::vector<float>{0, 1, 2, 3, 4, 255});
  s.Add(-1, std::vector<float>{0.5F, 0.25F, 0, 0, 0, 1});
  return s;
}

TEST(SamplesTest, RoundTripsThroughAFile) {
  testing::TempDir dir;
  const SampleSet s = TwoSamples();
  ASSERT_TRUE(WriteSamples(dir / "s.bin", s).ok());
  auto back = ReadSamples(dir / "s.bin");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->rows, 2);
  EXPECT_EQ(back->cols, 3);
  EXPECT_EQ(back->labels, s.labels);
  EXPECT_EQ(back->pixels, s.pixels);
  EXPECT_EQ(EncodeSamples(s).size(), 24U + 2U * (4U + 4U * 6U));
}

TEST(SamplesTest, RejectsBadMagic) {
  auto r = DecodeSamples("label,p0\n1,2\n", "x.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "x.csv: not a samples file (bad magic)");
}

TEST(SamplesTest, RejectsUnsupportedVersion) {
  std::string bytes = EncodeSamples(TwoSamples());
  bytes[8] = 9;
  auto r = DecodeSamples(bytes, "s.bin");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "s.bin: samples format version 9 is not supported (oldest 1, current 1)");
}

TEST(SamplesTest, RejectsTruncatedAndTrailingData) {
  const std::string bytes = EncodeSamples(TwoSamples());
  auto cut = DecodeSamples(std::string_view(bytes).substr(0, 70), "s.bin");
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().message(),
            "s.bin: truncated: expected 80 bytes for 2 samples of 2x3, found 70");
  auto tail = DecodeSamples(bytes + "x", "s.bin");
  ASSERT_FALSE(tail.ok());
  EXPECT_EQ(tail.status().message(),
            "s.bin: trailing data: expected 80 bytes for 2 samples of 2x3, found 81");
}

TEST(SamplesTest, WriteRejectsInconsistentPixels) {
  testing::TempDir dir;
  SampleSet s = TwoSamples();
  s.pixels.pop_back();
  Status st = WriteSamples(dir / "s.bin", s);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), (dir / "s.bin").string() + ": 2 samples of 2x3 need 12 pixels, found 11");
}

}  // namespace
}  // namespace conveyor::ml
