#include "plots/plots_html.h"

#include <gtest/gtest.h>

namespace conveyor {
namespace {

TEST(PlotsHtmlTest, ListsChartsImagesAndErrors) {
  std::vector<HtmlPlot> plots = {
      {"plots/loss.csv", "Loss <train>", "plots_loss.csv.png", "plots_loss.csv.svg", {}, ""},
      {"plots/misclassified.png",
       "plots/misclassified.png",
       "",
       "",
       {{"workspace", "plots_misclassified.png"}},
       ""},
      {"bad.json", "bad.json", "", "", {}, "bad.json:1:2: invalid JSON"},
  };
  std::string html = PlotsIndexHtml(plots, "Plots");
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(html.find("<title>Plots</title>"), std::string::npos);
  EXPECT_NE(html.find("<h2>Loss &lt;train&gt;</h2>\n<p class=\"id\">plots/loss.csv</p>"),
            std::string::npos);
  EXPECT_NE(html.find("<h2>bad.json</h2>\n<p class=\"error\">"), std::string::npos);
  EXPECT_NE(html.find("<img src=\"plots_loss.csv.png\" alt=\"Loss &lt;train&gt;\">"),
            std::string::npos);
  EXPECT_NE(html.find("<a href=\"plots_loss.csv.svg\">SVG</a>"), std::string::npos);
  EXPECT_NE(html.find("<img src=\"plots_misclassified.png\" alt=\"plots/misclassified.png "
                      "(workspace)\">"),
            std::string::npos);
  EXPECT_NE(html.find("<p class=\"error\">bad.json:1:2: invalid JSON</p>"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);  // nothing external
  EXPECT_TRUE(html.ends_with("</html>\n"));
}

TEST(PlotsHtmlTest, Escaping) {
  EXPECT_EQ(EscapeHtml("a&b<c>\"d'"), "a&amp;b&lt;c&gt;&quot;d&#39;");
  EXPECT_EQ(EscapeUrlPath("my plots/a b#1?.png"), "my%20plots/a%20b%231%3F.png");
  EXPECT_EQ(EscapeUrlPath("\xc3\xa9.png"), "%C3%A9.png");
  std::string html = PlotsIndexHtml({{"x", "x", "a\"b.png", "a\"b.svg", {}, ""}}, "T");
  EXPECT_NE(html.find("src=\"a%22b.png\""), std::string::npos);
}

TEST(PlotsHtmlTest, NoPlots) {
  EXPECT_NE(PlotsIndexHtml({}, "Plots").find("<p>No plots.</p>"), std::string::npos);
}

}  // namespace
}  // namespace conveyor
