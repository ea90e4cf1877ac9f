// End-to-end: `conveyor repro` and `conveyor status` on real temporary
// projects, through the real binary.
#include <gtest/gtest.h>

#include <filesystem>

#include "testing/cli_runner.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunConveyor;
using testing::WriteFile;

class ReproTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto init = RunConveyor(dir_.path(), "init --no-scm");
    ASSERT_EQ(init.exit_code, 0) << init.err;
  }

  // Each stage appends its name to runs.log, so tests can see what ran.
  void WriteTwoStagePipeline() {
    WriteFile(dir_ / "input.txt", "a\nb\n");
    WriteFile(dir_ / "params.yaml", "upper:\n  enabled: true\nreport:\n  title: Letters\n");
    WriteFile(dir_ / "dvc.yaml",
              "stages:\n"
              "  upper:\n"
              "    cmd: echo upper >> runs.log && tr a-z A-Z < input.txt > upper.txt\n"
              "    deps:\n"
              "    - input.txt\n"
              "    params:\n"
              "    - upper.enabled\n"
              "    outs:\n"
              "    - upper.txt\n"
              "  report:\n"
              "    cmd: echo report >> runs.log && (echo ${report.title}; cat upper.txt) > "
              "report.txt\n"
              "    deps:\n"
              "    - upper.txt\n"
              "    params:\n"
              "    - report\n"
              "    outs:\n"
              "    - report.txt\n");
  }

  std::string Runs() { return ReadFile(dir_ / "runs.log"); }

  testing::TempDir dir_;
};

TEST_F(ReproTest, SecondRunDoesNothing) {
  WriteTwoStagePipeline();
  auto first = RunConveyor(dir_.path(), "repro");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(Runs(), "upper\nreport\n");
  EXPECT_EQ(ReadFile(dir_ / "report.txt"), "Letters\nA\nB\n");

  auto second = RunConveyor(dir_.path(), "repro");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(Runs(), "upper\nreport\n");
  EXPECT_EQ(second.out, "Data and pipelines are up to date.\n");
  EXPECT_NE(second.err.find("Stage 'upper' didn't change, skipping"), std::string::npos);

  auto status = RunConveyor(dir_.path(), "status");
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_EQ(status.out, "Data and pipelines are up to date.\n");
}

TEST_F(ReproTest, LockFileMatchesWhatDvcWrites) {
  WriteTwoStagePipeline();
  ASSERT_EQ(RunConveyor(dir_.path(), "repro").exit_code, 0);
  // md5("a\nb\n") = dd8c6a395b5dd36c56d23275028f526c, md5("A\nB\n") =
  // d09f55e3d6d2265b7507cc6027071d0a; layout as DVC 3 writes dvc.lock.
  EXPECT_EQ(ReadFile(dir_ / "dvc.lock"),
            "schema: '2.0'\n"
            "stages:\n"
            "  upper:\n"
            "    cmd: echo upper >> runs.log && tr a-z A-Z < input.txt > upper.txt\n"
            "    deps:\n"
            "    - path: input.txt\n"
            "      hash: md5\n"
            "      md5: dd8c6a395b5dd36c56d23275028f526c\n"
            "      size: 4\n"
            "    params:\n"
            "      params.yaml:\n"
            "        upper.enabled: true\n"
            "    outs:\n"
            "    - path: upper.txt\n"
            "      hash: md5\n"
            "      md5: d09f55e3d6d2265b7507cc6027071d0a\n"
            "      size: 4\n"
            "  report:\n"
            "    cmd: echo report >> runs.log && (echo Letters; cat upper.txt) > report.txt\n"
            "    deps:\n"
            "    - path: upper.txt\n"
            "      hash: md5\n"
            "      md5: d09f55e3d6d2265b7507cc6027071d0a\n"
            "      size: 4\n"
            "    params:\n"
            "      params.yaml:\n"
            "        report:\n"
            "          title: Letters\n"
            "    outs:\n"
            "    - path: report.txt\n"
            "      hash: md5\n"
            "      md5: 13013742441adafe4f4c92bb8fa76516\n"
            "      size: 12\n");
  // The outputs are in DVC 3's cache layout, read-only.
  fs::path object = dir_ / ".dvc/cache/files/md5/d0/9f55e3d6d2265b7507cc6027071d0a";
  ASSERT_TRUE(fs::exists(object));
  EXPECT_EQ(fs::status(object).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
}

TEST_F(ReproTest, ChangedParamRerunsOnlyTheStagesThatUseIt) {
  WriteTwoStagePipeline();
  ASSERT_EQ(RunConveyor(dir_.path(), "repro").exit_code, 0);
  WriteFile(dir_ / "params.yaml", "upper:\n  enabled: true\nreport:\n  title: Capitals\n");

  auto status = RunConveyor(dir_.path(), "status");
  EXPECT_EQ(status.out,
            "report:\n"
            "\tchanged command\n"
            "\tchanged deps:\n"
            "\t\tmodified:           params.yaml:report ({\"title\":\"Letters\"} -> "
            "{\"title\":\"Capitals\"})\n");

  auto repro = RunConveyor(dir_.path(), "repro");
  ASSERT_EQ(repro.exit_code, 0) << repro.err;
  EXPECT_EQ(Runs(), "upper\nreport\nreport\n");
  EXPECT_EQ(ReadFile(dir_ / "report.txt"), "Capitals\nA\nB\n");
}

TEST_F(ReproTest, UnchangedOutputOfARerunStageDoesNotRerunDownstream) {
  WriteTwoStagePipeline();
  ASSERT_EQ(RunConveyor(dir_.path(), "repro").exit_code, 0);
  auto forced = RunConveyor(dir_.path(), "repro -f -s upper");
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  auto again = RunConveyor(dir_.path(), "repro");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Runs(), "upper\nreport\nupper\n");
}

TEST_F(ReproTest, DeletedOutputIsRebuilt) {
  WriteTwoStagePipeline();
  ASSERT_EQ(RunConveyor(dir_.path(), "repro").exit_code, 0);
  fs::remove(dir_ / "report.txt");
  auto status = RunConveyor(dir_.path(), "status --json");
  EXPECT_EQ(status.out,
            "{\n  \"report\": [\n    {\n      \"group\": \"outs\",\n      \"change\": "
            "\"deleted\",\n      \"subject\": \"report.txt\"\n    }\n  ]\n}\n");
  ASSERT_EQ(RunConveyor(dir_.path(), "repro").exit_code, 0);
  EXPECT_EQ(ReadFile(dir_ / "report.txt"), "Letters\nA\nB\n");
}

TEST_F(ReproTest, ForeachStagesExpandWithDvcNames) {
  WriteFile(dir_ / "dvc.yaml",
            "stages:\n"
            "  greet:\n"
            "    foreach:\n"
            "    - en\n"
            "    - fr\n"
            "    do:\n"
            "      cmd: echo hello-${item} > greet-${item}.txt\n"
            "      outs:\n"
            "      - greet-${item}.txt\n"
            "  size:\n"
            "    foreach:\n"
            "      small: 1\n"
            "      big: 3\n"
            "    do:\n"
            "      cmd: echo ${key}=${item} > size-${key}.txt\n"
            "      outs:\n"
            "      - size-${key}.txt\n");
  auto repro = RunConveyor(dir_.path(), "repro");
  ASSERT_EQ(repro.exit_code, 0) << repro.err;
  EXPECT_EQ(ReadFile(dir_ / "greet-fr.txt"), "hello-fr\n");
  EXPECT_EQ(ReadFile(dir_ / "size-big.txt"), "big=3\n");
  auto dag = RunConveyor(dir_.path(), "dag");
  EXPECT_EQ(dag.out, "greet@en\ngreet@fr\nsize@small\nsize@big\n");
  auto single = RunConveyor(dir_.path(), "repro -f greet@fr");
  EXPECT_EQ(single.exit_code, 0);
  EXPECT_NE(single.err.find("Running stage 'greet@fr'"), std::string::npos);
  EXPECT_EQ(single.err.find("greet@en"), std::string::npos);
}

TEST_F(ReproTest, FailingCommandStopsDownstreamAndKeepsTheLock) {
  WriteTwoStagePipeline();
  ASSERT_EQ(RunConveyor(dir_.path(), "repro").exit_code, 0);
  std::string lock_before = ReadFile(dir_ / "dvc.lock");
  WriteFile(dir_ / "input.txt", "c\n");
  // Break the first stage: same command shape, but it exits 3.
  std::string yaml = ReadFile(dir_ / "dvc.yaml");
  yaml.replace(yaml.find("tr a-z A-Z"), 10, "exit 3; tr");
  WriteFile(dir_ / "dvc.yaml", yaml);

  auto repro = RunConveyor(dir_.path(), "repro");
  EXPECT_EQ(repro.exit_code, 1);
  EXPECT_NE(repro.err.find("conveyor: error: stage 'upper' failed: command 'echo upper >> "
                           "runs.log && exit 3; tr < input.txt > upper.txt' exited with code 3"),
            std::string::npos)
      << repro.err;
  EXPECT_EQ(Runs(), "upper\nreport\nupper\n");  // report did not run
  EXPECT_EQ(ReadFile(dir_ / "dvc.lock"), lock_before);
}

TEST_F(ReproTest, ParallelStagesRunAtTheSameTimeWithPrefixedOutput) {
  // Each stage waits (at most 10 s) for the other to have started: they can
  // only both finish if they run concurrently.
  WriteFile(dir_ / "dvc.yaml",
            "stages:\n"
            "  left:\n"
            "    cmd: touch left.started && i=0; while [ ! -f right.started ] && [ $i -lt 200 ];"
            " do sleep 0.05; i=$((i+1)); done; test -f right.started && echo left-done > "
            "left.txt && echo from-left\n"
            "    outs:\n"
            "    - left.txt\n"
            "  right:\n"
            "    cmd: touch right.started && i=0; while [ ! -f left.started ] && [ $i -lt 200 ];"
            " do sleep 0.05; i=$((i+1)); done; test -f left.started && echo right-done > "
            "right.txt && echo from-right\n"
            "    outs:\n"
            "    - right.txt\n");
  auto repro = RunConveyor(dir_.path(), "repro -j 2");
  ASSERT_EQ(repro.exit_code, 0) << repro.err;
  EXPECT_EQ(ReadFile(dir_ / "left.txt"), "left-done\n");
  EXPECT_NE(repro.out.find("[left] from-left\n"), std::string::npos) << repro.out;
  EXPECT_NE(repro.out.find("[right] from-right\n"), std::string::npos) << repro.out;
}

TEST_F(ReproTest, RevertedInputsRestoreOutputsFromTheRunCache) {
  WriteTwoStagePipeline();
  ASSERT_EQ(RunConveyor(dir_.path(), "repro").exit_code, 0);
  std::string lock = ReadFile(dir_ / "dvc.lock");
  WriteFile(dir_ / "input.txt", "z\n");
  ASSERT_EQ(RunConveyor(dir_.path(), "repro").exit_code, 0);
  EXPECT_EQ(ReadFile(dir_ / "report.txt"), "Letters\nZ\n");
  // Back to the first input: both stages ran with exactly these inputs before.
  WriteFile(dir_ / "input.txt", "a\nb\n");
  auto restored = RunConveyor(dir_.path(), "repro");
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(Runs(), "upper\nreport\nupper\nreport\n");
  EXPECT_NE(restored.err.find("Stage 'upper' ran before with these inputs"), std::string::npos)
      << restored.err;
  EXPECT_EQ(ReadFile(dir_ / "report.txt"), "Letters\nA\nB\n");
  EXPECT_EQ(ReadFile(dir_ / "dvc.lock"), lock);
  // DVC's run-cache layout: runs/<key[:2]>/<key>/<value>.
  size_t entries = 0;
  for (auto& entry : fs::recursive_directory_iterator(dir_ / ".dvc/cache/runs")) {
    if (entry.is_regular_file())
      ++entries;
  }
  EXPECT_EQ(entries, 4u);
  auto no_cache = RunConveyor(dir_.path(), "repro -f --no-run-cache upper");
  ASSERT_EQ(no_cache.exit_code, 0);
  EXPECT_EQ(Runs(), "upper\nreport\nupper\nreport\nupper\n");
}

TEST_F(ReproTest, Dvc2LockEntriesAreTrustedUntilTheirDataChanges) {
  // A DVC 2 project: CRLF text whose DVC 2 digest is md5 of the LF version,
  // and lock entries without `hash: md5`.
  WriteFile(dir_ / "in.txt", "a\r\nb\r\n");
  WriteFile(dir_ / "out.txt", "a\nb\n");
  WriteFile(dir_ / "dvc.yaml",
            "stages:\n  copy:\n    cmd: tr -d '\\r' < in.txt > out.txt\n    deps:\n    - in.txt\n"
            "    outs:\n    - out.txt\n");
  std::string dvc2_lock =
      "schema: '2.0'\n"
      "stages:\n"
      "  copy:\n"
      "    cmd: tr -d '\\r' < in.txt > out.txt\n"
      "    deps:\n"
      "    - path: in.txt\n"
      "      md5: dd8c6a395b5dd36c56d23275028f526c\n"
      "      size: 6\n"
      "    outs:\n"
      "    - path: out.txt\n"
      "      md5: dd8c6a395b5dd36c56d23275028f526c\n"
      "      size: 4\n";
  WriteFile(dir_ / "dvc.lock", dvc2_lock);
  auto status = RunConveyor(dir_.path(), "status");
  EXPECT_EQ(status.out, "copy:\n\tchanged outs:\n\t\tnot in cache:       out.txt\n") << status.err;
  WriteFile(dir_ / "in.txt", "c\r\n");
  auto changed = RunConveyor(dir_.path(), "status");
  EXPECT_NE(changed.out.find("modified:           in.txt"), std::string::npos) << changed.out;
  ASSERT_EQ(RunConveyor(dir_.path(), "repro").exit_code, 0);
  std::string lock = ReadFile(dir_ / "dvc.lock");
  EXPECT_NE(lock.find("    - path: in.txt\n      hash: md5\n"), std::string::npos) << lock;
}

TEST_F(ReproTest, DryRunListsButRunsNothing) {
  WriteTwoStagePipeline();
  auto dry = RunConveyor(dir_.path(), "repro --dry");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(dry.out, "2 stage(s) would run.\n");
  EXPECT_NE(dry.err.find("> echo upper >> runs.log"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "runs.log"));
  EXPECT_FALSE(fs::exists(dir_ / "dvc.lock"));
}

TEST_F(ReproTest, PersistentOutputIsKeptAcrossRuns) {
  WriteFile(dir_ / "dvc.yaml",
            "stages:\n"
            "  grow:\n"
            "    cmd: echo line >> log.txt\n"
            "    always_changed: true\n"
            "    outs:\n"
            "    - log.txt:\n"
            "        persist: true\n");
  ASSERT_EQ(RunConveyor(dir_.path(), "repro").exit_code, 0);
  ASSERT_EQ(RunConveyor(dir_.path(), "repro").exit_code, 0);
  EXPECT_EQ(ReadFile(dir_ / "log.txt"), "line\nline\n");
}

}  // namespace
}  // namespace conveyor
