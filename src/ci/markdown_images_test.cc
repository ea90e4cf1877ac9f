#include "ci/markdown_images.h"

#include <gtest/gtest.h>

namespace conveyor::ci {
namespace {

TEST(MarkdownImagesTest, FindsInlineImages) {
  std::string md =
      "# Report\n![confusion](plots/confusion.png) and ![roc](<plots/r o c.png> \"ROC\")\n"
      "[not an image](x.png) ![web](https://x/y.png)\n";
  std::vector<ImageLink> links = FindImageLinks(md);
  ASSERT_EQ(links.size(), 3u);
  EXPECT_EQ(links[0].alt, "confusion");
  EXPECT_EQ(links[0].target, "plots/confusion.png");
  EXPECT_EQ(md.substr(links[0].begin, links[0].end - links[0].begin),
            "![confusion](plots/confusion.png)");
  EXPECT_EQ(links[1].target, "plots/r o c.png");
  EXPECT_EQ(links[2].target, "https://x/y.png");
}

TEST(MarkdownImagesTest, IgnoresCode) {
  std::string md = "`![a](in-span.png)`\n```\n![b](in-fence.png)\n```\n![c](real.png)\n";
  std::vector<ImageLink> links = FindImageLinks(md);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].target, "real.png");
}

TEST(MarkdownImagesTest, RelativeTargets) {
  EXPECT_TRUE(IsRelativeTarget("plots/a.png"));
  EXPECT_TRUE(IsRelativeTarget("./a.png"));
  EXPECT_TRUE(IsRelativeTarget("dir/a:b.png"));
  EXPECT_FALSE(IsRelativeTarget("https://example.com/a.png"));
  EXPECT_FALSE(IsRelativeTarget("data:image/png;base64,xx"));
  EXPECT_FALSE(IsRelativeTarget("/uploads/a.png"));
  EXPECT_FALSE(IsRelativeTarget("#anchor"));
  EXPECT_EQ(NormalizeImagePath("././plots/a.png"), "plots/a.png");
}

TEST(MarkdownImagesTest, Rewrites) {
  std::string md = "a ![x](x.png) b ![y](y.png) c";
  std::string out = RewriteImageLinks(md, [](const ImageLink& link) -> std::optional<std::string> {
    if (link.target == "y.png") {
      return std::nullopt;
    }
    return "[X]";
  });
  EXPECT_EQ(out, "a [X] b ![y](y.png) c");
}

}  // namespace
}  // namespace conveyor::ci
