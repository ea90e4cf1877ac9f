#include "pipeline/repro.h"

#include <gtest/gtest.h>

#include <mutex>

#include "testing/fake_command_runner.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

using testing::FakeCommandRunner;
using testing::ReadFile;
using testing::WriteFile;

// Records what the engine reports, in order.
class RecordingListener : public ReproListener {
 public:
  void StageSkipped(const StageNode& node, std::string_view) override {
    Add("skip " + node.Address());
  }
  void StageStarting(const StageNode& node, const std::vector<Change>&) override {
    Add("start " + node.Address());
  }
  void CommandStarting(const StageNode&, std::string_view) override {}
  void StageRestored(const StageNode& node) override { Add("restore " + node.Address()); }
  void StageFinished(const StageNode& node, StageResult result, const Status&) override {
    Add(fmt::format("finish {} {}", node.Address(), static_cast<int>(result)));
  }
  void LockWritten(std::string_view path) override { Add(fmt::format("lock {}", path)); }

  std::vector<std::string> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

 private:
  void Add(std::string event) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(event));
  }
  std::mutex mu_;
  std::vector<std::string> events_;
};

FakeCommandRunner::Script Writes(std::string file, std::string contents) {
  return {[file, contents](const std::filesystem::path& cwd) { WriteFile(cwd / file, contents); },
          0};
}

class ReproEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto project = Project::Init(dir_.path(), true, false);
    ASSERT_TRUE(project.ok()) << project.status().message();
    project_ = std::make_unique<Project>(std::move(project).value());
    WriteFile(dir_ / "in.txt", "x\n");
    WriteFile(dir_ / "dvc.yaml",
              "stages:\n"
              "  a:\n    cmd: make-a\n    deps: [in.txt]\n    outs: [a.txt]\n"
              "  b:\n    cmd: make-b\n    deps: [a.txt]\n    outs: [b.txt]\n"
              "  c:\n    cmd: make-c\n    deps: [in.txt]\n    outs: [c.txt]\n");
    runner_.On("make-a", Writes("a.txt", "a\n"));
    runner_.On("make-b", Writes("b.txt", "b\n"));
    runner_.On("make-c", Writes("c.txt", "c\n"));
  }

  Result<ReproSummary> Run(const ReproOptions& options = {}) {
    auto workspace = Workspace::Load(*project_);
    if (!workspace.ok())
      return workspace.status();
    Repro repro(*project_, *workspace, runner_, listener_);
    return repro.Run(options);
  }

  testing::TempDir dir_;
  std::unique_ptr<Project> project_;
  FakeCommandRunner runner_;
  RecordingListener listener_;
};

TEST_F(ReproEngineTest, RunsInDependencyOrderThenNothing) {
  auto first = Run();
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(runner_.commands(), (std::vector<std::string>{"make-a", "make-b", "make-c"}));
  EXPECT_EQ(first->Count(StageResult::kRan), 3u);
  auto second = Run();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(runner_.commands().size(), 3u);
  EXPECT_EQ(second->Count(StageResult::kUpToDate), 3u);
  std::vector<std::string> events = listener_.events();
  ASSERT_GE(events.size(), 6u);
  EXPECT_EQ(std::vector<std::string>(events.begin(), events.begin() + 3),
            (std::vector<std::string>{"start a", "lock dvc.lock", "finish a 1"}));
  EXPECT_EQ(std::vector<std::string>(events.end() - 6, events.end()),
            (std::vector<std::string>{"skip a", "finish a 0", "skip b", "finish b 0", "skip c",
                                      "finish c 0"}));
}

TEST_F(ReproEngineTest, FailureStopsDownstreamButRecordsFinishedStages) {
  runner_.On("make-a", {nullptr, 2});
  auto result = Run();
  EXPECT_EQ(result.status().code(), Code::kFailed);
  EXPECT_EQ(result.status().message(), "stage 'a' failed: command 'make-a' exited with code 2");
  // b depends on a and never starts; the lock has no entry for a or b.
  for (const std::string& command : runner_.commands())
    EXPECT_NE(command, "make-b");
  EXPECT_EQ(ReadFile(dir_ / "dvc.lock").find("  a:"), std::string::npos);
}

TEST_F(ReproEngineTest, MissingOutputFailsTheStage) {
  runner_.On("make-c", {nullptr, 0});
  auto result = Run({{"c"}});
  EXPECT_EQ(result.status().message(), "stage 'c' did not create its output 'c.txt'");
}

TEST_F(ReproEngineTest, DryRunReportsButRunsNothing) {
  ReproOptions options;
  options.dry = true;
  auto result = Run(options);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(runner_.commands().empty());
  EXPECT_EQ(result->Count(StageResult::kWouldRun), 3u);
}

TEST_F(ReproEngineTest, ParallelRunStillRespectsDependencies) {
  ReproOptions options;
  options.jobs = 2;
  auto result = Run(options);
  ASSERT_TRUE(result.ok()) << result.status().message();
  std::vector<std::string> commands = runner_.commands();
  ASSERT_EQ(commands.size(), 3u);
  auto position = [&](const std::string& c) {
    return std::find(commands.begin(), commands.end(), c) - commands.begin();
  };
  EXPECT_LT(position("make-a"), position("make-b"));
  EXPECT_EQ(ReadFile(dir_ / "b.txt"), "b\n");
}

TEST_F(ReproEngineTest, ForcedSingleStageRunsOnlyIt) {
  ASSERT_TRUE(Run().ok());
  ReproOptions options;
  options.targets = {"b"};
  options.force = true;
  options.single_item = true;
  ASSERT_TRUE(Run(options).ok());
  EXPECT_EQ(runner_.commands(), (std::vector<std::string>{"make-a", "make-b", "make-c", "make-b"}));
}

}  // namespace
}  // namespace conveyor
