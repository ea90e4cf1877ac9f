#include "common/percent_encoding.h"

#include <gtest/gtest.h>

namespace conveyor {
namespace {

TEST(PercentEncodingTest, DecodesOrKeeps) {
  EXPECT_EQ(PercentDecode("p%40ss%2Fw"), "p@ss/w");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("50%of"), std::nullopt);
  EXPECT_EQ(PercentDecodeOrKeep("p%40ss"), "p@ss");
  EXPECT_EQ(PercentDecodeOrKeep("50%off"), "50%off");
  EXPECT_EQ(PercentDecodeOrKeep("trailing%"), "trailing%");
  EXPECT_EQ(PercentDecodeOrKeep(""), "");
}

}  // namespace
}  // namespace conveyor
