#include "pipeline/workspace.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

using testing::WriteFile;

class WorkspaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto project = Project::Init(dir_.path(), true, false);
    ASSERT_TRUE(project.ok());
    project_ = std::make_unique<Project>(std::move(project).value());
  }
  testing::TempDir dir_;
  std::unique_ptr<Project> project_;
};

TEST_F(WorkspaceTest, FindsPipelinesAndTrackedDataEverywhereButInsideData) {
  WriteFile(dir_ / "dvc.yaml",
            "stages:\n  prep:\n    cmd: x\n    deps: [raw]\n    outs: [prepared]\n");
  WriteFile(dir_ / "raw.dvc", "outs:\n- md5: 0cc175b9c0f1b6a831c399e269772661\n  path: raw\n");
  WriteFile(dir_ / "sub/dvc.yaml",
            "stages:\n  train:\n    cmd: y\n    wdir: ..\n    deps: [prepared]\n"
            "    outs: [model]\n");
  // Inside an output and inside tracked data: never searched.
  WriteFile(dir_ / "prepared/dvc.yaml", "stages:\n  hidden:\n    cmd: z\n");
  WriteFile(dir_ / "raw/inner.dvc", "not even yaml: [");
  // Ignored by .dvcignore.
  WriteFile(dir_ / ".dvcignore", "scratch/\n");
  WriteFile(dir_ / "scratch/dvc.yaml", "stages:\n  ignored:\n    cmd: w\n");

  auto workspace = Workspace::Load(*project_);
  ASSERT_TRUE(workspace.ok()) << workspace.status().message();
  std::vector<std::string> stages;
  for (const StageNode& node : workspace->dag().nodes())
    stages.push_back(node.Address());
  EXPECT_EQ(stages, (std::vector<std::string>{"prep", "sub/dvc.yaml:train"}));
  ASSERT_EQ(workspace->tracked().size(), 1u);
  EXPECT_EQ(workspace->tracked()[0].dvcfile, "raw.dvc");
  // train (wdir ..) depends on prep's output.
  EXPECT_EQ(workspace->dag().upstream(1), std::vector<size_t>{0});
  EXPECT_EQ(Workspace::LockPathFor("sub/dvc.yaml"), "sub/dvc.lock");
  EXPECT_EQ(Workspace::LockPathFor("dvc.yaml"), "dvc.lock");
}

TEST_F(WorkspaceTest, ParseErrorsNameTheFile) {
  WriteFile(dir_ / "a/b.dvc", "outs: [");
  auto workspace = Workspace::Load(*project_);
  EXPECT_EQ(workspace.status().message().rfind("a/b.dvc:", 0), 0u) << workspace.status().message();
}

}  // namespace
}  // namespace conveyor
