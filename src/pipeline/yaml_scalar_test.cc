#include "pipeline/yaml_scalar.h"

#include <gtest/gtest.h>

namespace conveyor {
namespace {

TEST(ResolvePlainScalarTest, FollowsRuamelYaml12Resolver) {
  EXPECT_EQ(ResolvePlainScalar("yes"), PlainScalarTag::kStr);
  EXPECT_EQ(ResolvePlainScalar("True"), PlainScalarTag::kBool);
  EXPECT_EQ(ResolvePlainScalar(""), PlainScalarTag::kNull);
  EXPECT_EQ(ResolvePlainScalar("~"), PlainScalarTag::kNull);
  EXPECT_EQ(ResolvePlainScalar("017"), PlainScalarTag::kInt);
  EXPECT_EQ(ResolvePlainScalar("-_"), PlainScalarTag::kInt);
  EXPECT_EQ(ResolvePlainScalar("1e5"), PlainScalarTag::kFloat);
  EXPECT_EQ(ResolvePlainScalar("1."), PlainScalarTag::kFloat);
  EXPECT_EQ(ResolvePlainScalar("12:30"), PlainScalarTag::kStr);
  EXPECT_EQ(ResolvePlainScalar("2001-12-14t21:59:43.10-05:00"), PlainScalarTag::kTimestamp);
  EXPECT_EQ(ResolvePlainScalar("<<"), PlainScalarTag::kMerge);
  EXPECT_EQ(ResolvePlainScalar("="), PlainScalarTag::kValue);
}

// The patterns' edges: underscores, signs, exponents, timestamp fields.
TEST(ResolvePlainScalarTest, EdgesOfEachPattern) {
  EXPECT_EQ(ResolvePlainScalar(".1e3"), PlainScalarTag::kStr);  // a bare .5 wants a signed exponent
  EXPECT_EQ(ResolvePlainScalar(".1e+3"), PlainScalarTag::kFloat);
  EXPECT_EQ(ResolvePlainScalar("+.nan"), PlainScalarTag::kStr);
  EXPECT_EQ(ResolvePlainScalar("-.INF"), PlainScalarTag::kFloat);
  EXPECT_EQ(ResolvePlainScalar("_1"), PlainScalarTag::kInt);
  EXPECT_EQ(ResolvePlainScalar("_1.5"), PlainScalarTag::kStr);
  EXPECT_EQ(ResolvePlainScalar("0o8"), PlainScalarTag::kStr);
  EXPECT_EQ(ResolvePlainScalar("0b"), PlainScalarTag::kStr);
  EXPECT_EQ(ResolvePlainScalar("0x_f"), PlainScalarTag::kInt);
  EXPECT_EQ(ResolvePlainScalar("2001-1-1"), PlainScalarTag::kStr);
  EXPECT_EQ(ResolvePlainScalar("2001-1-1 1:02:03"), PlainScalarTag::kTimestamp);
  EXPECT_EQ(ResolvePlainScalar("2001-12-14 21:59:43 "), PlainScalarTag::kStr);
  EXPECT_EQ(ResolvePlainScalar("2001-12-14T21:59:43.5 Z"), PlainScalarTag::kTimestamp);
  EXPECT_EQ(ResolvePlainScalar("2001-12-14T21:59:43+5:3"), PlainScalarTag::kStr);
  EXPECT_EQ(ResolvePlainScalar("nULL"), PlainScalarTag::kStr);
}

}  // namespace
}  // namespace conveyor
