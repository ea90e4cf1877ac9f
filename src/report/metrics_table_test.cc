#include "report/metrics_table.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

using testing::WriteFile;

TEST(MetricsTableTest, CollectsDeclaredFilesAndRendersThem) {
  testing::TempDir dir;
  auto project = Project::Init(dir.path(), true, false);
  ASSERT_TRUE(project.ok());
  WriteFile(dir / "dvc.yaml",
            "metrics:\n- summary.yaml\nstages:\n  eval:\n    cmd: x\n    metrics:\n"
            "    - scores.json:\n        cache: false\n");
  WriteFile(dir / "scores.json",
            "{\"accuracy\": 0.953333333, \"per_class\": {\"0\": {\"f1\": 0.98}}, \"n\": 1500,"
            " \"curve\": [1, 2]}");
  auto workspace = Workspace::Load(*project);
  ASSERT_TRUE(workspace.ok()) << workspace.status().message();
  std::vector<MetricsFile> files = CollectMetrics(*project, *workspace);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "summary.yaml");
  EXPECT_EQ(files[0].error, "'summary.yaml' does not exist");
  EXPECT_EQ(FormatMetricsTable(files, 5),
            "Path          accuracy  per_class.0.f1  n\n"
            "summary.yaml  -         -               -\n"
            "scores.json   0.95333   0.98            1500\n");
  EXPECT_EQ(FormatMetricsLong(files, 3),
            "Path         Metric          Value\n"
            "scores.json  accuracy        0.953\n"
            "scores.json  per_class.0.f1  0.98\n"
            "scores.json  n               1500\n");
  EXPECT_EQ(FormatMetricsMarkdown({files[1]}, 3),
            "| Path | accuracy | per_class.0.f1 | n |\n|---|---|---|---|\n"
            "| scores.json | 0.953 | 0.98 | 1500 |\n");
  EXPECT_EQ(MetricsJson({files[1]}).dump(),
            "{\"scores.json\":{\"data\":{\"accuracy\":0.953333333,\"per_class.0.f1\":0.98,"
            "\"n\":1500}}}");
}

TEST(MetricsTableTest, FormatsValues) {
  EXPECT_EQ(FormatMetricValue(0.123456789, 5), "0.12346");
  EXPECT_EQ(FormatMetricValue(42, 5), "42");
  EXPECT_EQ(FormatMetricValue("ok", 5), "ok");
  EXPECT_EQ(FormatMetricValue(true, 5), "true");
}

}  // namespace
}  // namespace conveyor
