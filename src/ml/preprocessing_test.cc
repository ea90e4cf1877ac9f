#include "ml/preprocessing.h"

#include <gtest/gtest.h>

#include <cmath>

namespace conveyor::ml {
namespace {

constexpr int kSize = 20;

// Centre column of ink per row, for an image of kSize x kSize.
double InkCentre(const std::vector<float>& image, int row) {
  double sum = 0;
  double weighted = 0;
  for (int c = 0; c < kSize; ++c) {
    const double v = image[static_cast<size_t>(row * kSize + c)];
    sum += v;
    weighted += v * c;
  }
  return sum > 0 ? weighted / sum : -1;
}

// A 2-pixel-wide stroke slanted like "/" : column shifts by 0.5 per row.
std::vector<float> SlantedStroke() {
  std::vector<float> image(kSize * kSize, 0.0F);
  for (int r = 2; r < 18; ++r) {
    const int c = 14 - (r - 2) / 2;
    image[static_cast<size_t>(r * kSize + c)] = 255;
    image[static_cast<size_t>(r * kSize + c + 1)] = 255;
  }
  return image;
}

TEST(PreprocessingTest, DeskewStraightensASlantedStroke) {
  const std::vector<float> slanted = SlantedStroke();
  const double before = InkCentre(slanted, 3) - InkCentre(slanted, 16);
  ASSERT_GT(before, 6.0);
  const std::vector<float> straight = Deskew(slanted, kSize, kSize);
  const double after = InkCentre(straight, 3) - InkCentre(straight, 16);
  EXPECT_LT(std::abs(after), 1.0) << "top and bottom of the stroke should line up";
  // Ink is kept roughly (linear interpolation, nothing pushed off the edge).
  double ink_before = 0;
  double ink_after = 0;
  for (size_t i = 0; i < slanted.size(); ++i) {
    ink_before += slanted[i];
    ink_after += straight[i];
  }
  EXPECT_NEAR(ink_after, ink_before, ink_before * 0.05);
}

TEST(PreprocessingTest, DeskewLeavesABlankImageAlone) {
  const std::vector<float> blank(kSize * kSize, 0.0F);
  EXPECT_EQ(Deskew(blank, kSize, kSize), blank);
}

TEST(PreprocessingTest, ScalesToUnitRange) {
  std::vector<float> raw(kSize * kSize, 0.0F);
  raw[0] = 255;
  raw[1] = 51;
  auto out = ApplyPreprocessing(Preprocessing{}, raw);
  ASSERT_TRUE(out.ok());
  EXPECT_FLOAT_EQ((*out)[0], 1.0F);
  EXPECT_FLOAT_EQ((*out)[1], 0.2F);
  EXPECT_FLOAT_EQ((*out)[2], 0.0F);
}

TEST(PreprocessingTest, RejectsWrongSize) {
  std::vector<float> raw(399, 0.0F);
  auto out = ApplyPreprocessing(Preprocessing{.deskew = true}, raw);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "input has 399 pixels, expected 400 (20x20)");
}

}  // namespace
}  // namespace conveyor::ml
