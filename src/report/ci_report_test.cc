#include "report/ci_report.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/base64.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

MetricsFile Metrics(const char* values) {
  MetricsFile file;
  file.path = "metrics.json";
  file.values = Json::parse(values);
  return file;
}

ParamsValues Params(const char* values) {
  ParamsValues file;
  file.path = "params.yaml";
  file.values = Json::parse(values);
  return file;
}

// A merge request's run: accuracy up, one param changed, one plot, one
// model version, a link.
Report SampleReport() {
  Report report;
  report.revision = "workspace";
  report.commit = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
  report.branch = "feature-x";
  report.baseline = "main";
  report.baseline_commit = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432";
  report.experiment = ReportExperiment{.tag = "a1b2c3d",
                                       .status = "succeeded",
                                       .started_at_ms = 1795000000000,
                                       .finished_at_ms = 1795000012300};
  report.metrics = DiffMetrics("main", {Metrics(R"({"accuracy": 0.91, "loss": 0.3})")}, "workspace",
                               {Metrics(R"({"accuracy": 0.944, "loss": 0.3})")},
                               /*all=*/true);
  report.params = DiffParams("main", {Params(R"({"train.max_depth": 4, "train.seed": 1})")},
                             "workspace", {Params(R"({"train.max_depth": 6, "train.seed": 1})")},
                             /*all=*/false);
  report.plots = {
      {.id = "plots/confusion.json",
       .title = "Confusion matrix",
       .pngs = {"plots_confusion.json.png"}},
      {.id = "plots/loss.csv", .title = "Loss", .error = "plots/loss.csv: no such file"}};
  report.models = {{.name = "digits", .version = 3, .md5 = "0123abcd.dir", .aliases = {"staging"}}};
  report.links = {{"Pipeline", "https://gitlab.example.com/g/p/-/pipelines/7"}};
  return report;
}

TEST(CiReportTest, MarkdownHasEverySection) {
  EXPECT_EQ(RenderReportMarkdown(SampleReport()),
            "## conveyor report: a1b2c3d succeeded\n"
            "\n"
            "Commit `a1b2c3d` on `feature-x`, compared with `main` (`9f8e7d6`). Experiment "
            "`a1b2c3d` succeeded at 2026-11-18 11:06:40 UTC after 12.3 s.\n"
            "\n"
            "### Metrics\n"
            "\n"
            "| Path | Metric | main | workspace | Change |\n"
            "|---|---|---|---|---|\n"
            "| metrics.json | accuracy | 0.91 | 0.944 | 0.034 |\n"
            "| metrics.json | loss | 0.3 | 0.3 | 0.0 |\n"
            "\n"
            "### Params\n"
            "\n"
            "| Path | Param | main | workspace |\n"
            "|---|---|---|---|\n"
            "| params.yaml | train.max_depth | 4 | 6 |\n"
            "\n"
            "### Plots\n"
            "\n"
            "#### Confusion matrix\n"
            "\n"
            "![Confusion matrix](plots_confusion.json.png)\n"
            "\n"
            "#### Loss\n"
            "\n"
            "Not rendered: plots/loss.csv: no such file\n"
            "\n"
            "### Model\n"
            "\n"
            "| Model | Version | Object | Aliases |\n"
            "|---|---:|---|---|\n"
            "| digits | 3 | `0123abcd.dir` | staging |\n"
            "\n"
            "### Links\n"
            "\n"
            "- [Pipeline](https://gitlab.example.com/g/p/-/pipelines/7)\n");
}

TEST(CiReportTest, NoBaselineNoExperimentAndAFailedRun) {
  Report report;
  report.revision = "workspace";
  report.commit = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
  report.dirty = true;
  report.metrics = DiffMetrics("baseline", {}, "workspace", {Metrics(R"({"accuracy": 0.5})")},
                               /*all=*/true);
  report.warnings = {"no baseline: neither main nor master names a commit; pass --baseline"};
  const std::string markdown = RenderReportMarkdown(report);
  EXPECT_NE(markdown.find("## conveyor report: a1b2c3d (no experiment recorded)\n\n"
                          "Commit `a1b2c3d` with uncommitted changes, with no baseline to "
                          "compare with.\n"),
            std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("| metrics.json | accuracy | - | 0.5 | - |\n"), std::string::npos);
  EXPECT_NE(markdown.find("No baseline to compare params with.\n"), std::string::npos);
  EXPECT_NE(markdown.find("### Warnings\n\n- no baseline: neither main nor master names a "
                          "commit; pass --baseline\n"),
            std::string::npos);

  report.experiment = ReportExperiment{
      .tag = "a1b2c3d", .status = "failed", .message = "stage 'train' failed: exit code 1"};
  EXPECT_EQ(ReportHeadline(report), "a1b2c3d failed");
  EXPECT_NE(RenderReportMarkdown(report).find("\n> stage 'train' failed: exit code 1\n"),
            std::string::npos);
}

TEST(CiReportTest, MarkdownEscapesTitlesAndLinkPaths) {
  Report report = SampleReport();
  report.plots = {{.id = "x", .title = "[weird] *title*", .pngs = {"a plot (1).png"}}};
  const std::string markdown = RenderReportMarkdown(report);
  EXPECT_NE(markdown.find("#### \\[weird\\] \\*title\\*\n\n"
                          "![\\[weird\\] \\*title\\*](a%20plot%20%281%29.png)\n"),
            std::string::npos)
      << markdown;
}

TEST(CiReportTest, ANewlineInAValueCannotEndTheTable) {
  Report report = SampleReport();
  report.params = DiffParams(
      "main", {Params(R"({"note": "a"})")}, "workspace",
      {Params(
          R"json({"note": "b\n\n## Injected | heading\r\n![x](https://tracker.example/p.png)"})json")},
      /*all=*/false);
  const std::string markdown = RenderReportMarkdown(report);
  EXPECT_NE(markdown.find("| params.yaml | note | a | b  ## Injected \\| heading  "
                          "![x](https://tracker.example/p.png) |\n"),
            std::string::npos)
      << markdown;
  EXPECT_EQ(markdown.find("\n## Injected"), std::string::npos);
}

TEST(CiReportTest, HtmlIsSelfContained) {
  testing::TempDir dir;
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + "pixels";
  std::ofstream(dir / "plots_confusion.json.png", std::ios::binary) << png;
  Result<std::string> html = RenderReportHtml(SampleReport(), dir.path());
  ASSERT_TRUE(html.ok()) << html.status().message();
  EXPECT_NE(html->find("<title>conveyor report: a1b2c3d succeeded</title>"), std::string::npos);
  EXPECT_NE(html->find("<img alt=\"Confusion matrix\" src=\"data:image/png;base64," +
                       EncodeBase64(png) + "\">"),
            std::string::npos);
  EXPECT_NE(html->find("<tr><td>metrics.json</td><td>accuracy</td><td class=\"n\">0.91</td>"
                       "<td class=\"n\">0.944</td><td class=\"n\">0.034</td></tr>"),
            std::string::npos)
      << *html;
  EXPECT_NE(html->find("<p class=\"warn\">Not rendered: plots/loss.csv: no such file</p>"),
            std::string::npos);
  // Nothing is fetched from elsewhere.
  EXPECT_EQ(html->find("src=\"http"), std::string::npos);
  EXPECT_EQ(html->find("<link"), std::string::npos);
  EXPECT_EQ(html->find("<script"), std::string::npos);
}

TEST(CiReportTest, HtmlNamesAMissingImage) {
  testing::TempDir dir;
  Result<std::string> html = RenderReportHtml(SampleReport(), dir.path());
  ASSERT_FALSE(html.ok());
  EXPECT_EQ(html.status().code(), Code::kIo);
  EXPECT_NE(html.status().message().find("report: cannot embed " +
                                         (dir / "plots_confusion.json.png").string()),
            std::string::npos)
      << html.status().message();
}

TEST(CiReportTest, JsonCarriesTheSameFacts) {
  const Json json = ReportJson(SampleReport());
  EXPECT_EQ(json["baseline"], "main");
  EXPECT_EQ(json["experiment"]["tag"], "a1b2c3d");
  EXPECT_EQ(json["metrics"]["metrics.json"]["accuracy"]["new"], 0.944);
  EXPECT_EQ(json["params"]["params.yaml"]["train.max_depth"]["old"], 4);
  EXPECT_EQ(json["plots"][0]["pngs"][0], "plots_confusion.json.png");
  EXPECT_EQ(json["plots"][1]["error"], "plots/loss.csv: no such file");
  EXPECT_EQ(json["models"][0]["version"], 3);
  EXPECT_EQ(json["links"][0]["url"], "https://gitlab.example.com/g/p/-/pipelines/7");
  Report none;
  EXPECT_TRUE(ReportJson(none)["experiment"].is_null());
}

}  // namespace
}  // namespace conveyor
