#include "common/nearest.h"

#include <gtest/gtest.h>

namespace conveyor {
namespace {

TEST(EditDistanceTest, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("outs", "outs"), 0u);
  EXPECT_EQ(EditDistance("ots", "outs"), 1u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("trian", "train"), 1u);
}

TEST(NearestTest, SuggestsOnlyPlausibleTypos) {
  std::vector<std::string> keys = {"cmd", "deps", "outs", "params", "metrics"};
  EXPECT_EQ(Nearest("ouds", keys), "outs");
  EXPECT_EQ(Nearest("paramz", keys), "params");
  EXPECT_EQ(Nearest("completely", keys), std::nullopt);
  EXPECT_EQ(DidYouMean("dep", keys), " (did you mean 'deps'?)");
  EXPECT_EQ(DidYouMean("zzzzzz", keys), "");
}

}  // namespace
}  // namespace conveyor
