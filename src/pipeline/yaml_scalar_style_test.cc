#include "pipeline/yaml_scalar_style.h"

#include <gtest/gtest.h>

namespace conveyor {
namespace {

ScalarStyle Style(std::u32string_view text, bool implicit = true, bool simple_key = false) {
  return ChooseScalarStyle(text, AnalyzeScalar(text), implicit, simple_key);
}

TEST(ScalarStyleTest, PlainUnlessAnIndicatorOrBlankEdgeGetsInTheWay) {
  EXPECT_EQ(Style(U"a b"), ScalarStyle::kPlain);
  EXPECT_EQ(Style(U"a: b"), ScalarStyle::kSingle);
  EXPECT_EQ(Style(U"a:b"), ScalarStyle::kPlain);
  EXPECT_EQ(Style(U"a #b"), ScalarStyle::kSingle);
  EXPECT_EQ(Style(U"- a"), ScalarStyle::kSingle);
  EXPECT_EQ(Style(U"-a"), ScalarStyle::kPlain);
  EXPECT_EQ(Style(U"---"), ScalarStyle::kSingle);
  EXPECT_EQ(Style(U" a"), ScalarStyle::kSingle);
  EXPECT_EQ(Style(U"a "), ScalarStyle::kSingle);
}

TEST(ScalarStyleTest, QuotesWhatWouldReadBackAsAnotherType) {
  EXPECT_EQ(Style(U"1.0", /*implicit=*/false), ScalarStyle::kSingle);
  EXPECT_EQ(Style(U"it's", /*implicit=*/false), ScalarStyle::kDouble);
}

TEST(ScalarStyleTest, LineBreaksAndSpecialCharacters) {
  EXPECT_EQ(Style(U"a\nb"), ScalarStyle::kDouble);
  EXPECT_EQ(Style(U"a\tb"), ScalarStyle::kDouble);
  EXPECT_EQ(Style(U"caf\u00e9"), ScalarStyle::kPlain);
  EXPECT_EQ(Style(U"\uFEFF"), ScalarStyle::kDouble);
  const ScalarAnalysis empty = AnalyzeScalar(U"");
  EXPECT_TRUE(empty.empty);
  EXPECT_EQ(ChooseScalarStyle(U"", empty, /*implicit=*/true, /*simple_key=*/true),
            ScalarStyle::kSingle);
  EXPECT_TRUE(AnalyzeScalar(U"a\u2028b").multiline);
  EXPECT_TRUE(IsYamlBreak(U'\x85'));
  EXPECT_FALSE(IsYamlBreak(U'\r'));
}

}  // namespace
}  // namespace conveyor
