#include "report/metrics_diff.h"

#include <gtest/gtest.h>

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

MetricsFile File(std::string path, const char* values, std::string error = "") {
  MetricsFile file;
  file.path = std::move(path);
  file.values = Json::parse(values);
  file.error = std::move(error);
  return file;
}

class MetricsDiffTest : public ::testing::Test {
 protected:
  const std::vector<MetricsFile> old_files_ = {
      File("metrics.json", R"({"acc": 0.9123456, "loss": 0.5, "epochs": 10, "opt": "sgd"})"),
      File("eval/summary.json", "{}", "'eval/summary.json' does not exist"),
  };
  const std::vector<MetricsFile> new_files_ = {
      File("metrics.json", R"({"acc": 0.9456789, "loss": 0.5, "epochs": 12, "opt": "adam",
                               "f1": 0.8})"),
      File("eval/summary.json", R"({"auc": 0.7})"),
      File("broken.yaml", "{}", "broken.yaml:1:3: bad"),
  };
};

TEST_F(MetricsDiffTest, ShowsChangedMetricsAndWarnsAboutUnreadableFiles) {
  MetricsDiff diff = DiffMetrics("HEAD", old_files_, "workspace", new_files_, false);
  EXPECT_EQ(diff.warnings, (std::vector<std::string>{
                               "HEAD: 'eval/summary.json' does not exist",
                               "workspace: broken.yaml:1:3: bad",
                           }));
  EXPECT_EQ(FormatMetricsDiff(diff, {}),
            "Path               Metric  HEAD     workspace  Change\n"
            "eval/summary.json  auc     -        0.7        -\n"
            "metrics.json       acc     0.91235  0.94568    0.03333\n"
            "metrics.json       epochs  10       12         2\n"
            "metrics.json       f1      -        0.8        -\n"
            "metrics.json       opt     sgd      adam       -\n");
  EXPECT_EQ(FormatMetricsDiff(diff, {2, true, false}),
            "| Metric | HEAD | workspace | Change |\n|---|---|---|---|\n"
            "| auc | - | 0.7 | - |\n"
            "| acc | 0.91 | 0.95 | 0.03 |\n"
            "| epochs | 10 | 12 | 2 |\n"
            "| f1 | - | 0.8 | - |\n"
            "| opt | sgd | adam | - |\n");
}

TEST_F(MetricsDiffTest, AllListsUnchangedMetrics) {
  MetricsDiff diff = DiffMetrics("v1", old_files_, "v2", new_files_, true);
  std::string table = FormatMetricsDiff(diff, {});
  EXPECT_EQ(table,
            "Path               Metric  v1       v2       Change\n"
            "eval/summary.json  auc     -        0.7      -\n"
            "metrics.json       acc     0.91235  0.94568  0.03333\n"
            "metrics.json       epochs  10       12       2\n"
            "metrics.json       f1      -        0.8      -\n"
            "metrics.json       loss    0.5      0.5      0.0\n"
            "metrics.json       opt     sgd      adam     -\n");
}

TEST_F(MetricsDiffTest, JsonAsDvcPrintsIt) {
  MetricsDiff diff = DiffMetrics("HEAD", old_files_, "workspace", new_files_, false);
  EXPECT_EQ(MetricsDiffJson(diff).dump(),
            R"({"eval/summary.json":{"auc":{"old":null,"new":0.7}},)"
            R"("metrics.json":{"acc":{"old":0.9123456,"new":0.9456789,"diff":0.03333330000000001},)"
            R"("epochs":{"old":10,"new":12,"diff":2},)"
            R"("f1":{"old":null,"new":0.8},)"
            R"("opt":{"old":"sgd","new":"adam"}}})");
}

TEST(MetricsDiffEmptyTest, NothingChangedPrintsNothing) {
  std::vector<MetricsFile> files = {File("m.json", R"({"a": 1})")};
  MetricsDiff diff = DiffMetrics("HEAD", files, "workspace", files, false);
  EXPECT_TRUE(diff.changes.empty());
  EXPECT_EQ(FormatMetricsDiff(diff, {}), "");
  EXPECT_EQ(MetricsDiffJson(diff).dump(), "{}");
}

}  // namespace
}  // namespace conveyor
