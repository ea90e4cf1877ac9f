#include "report/revision_view.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "cache/hasher.h"
#include "pipeline/dvc_file.h"
#include "report/metrics_table.h"
#include "testing/cli_runner.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::WriteFile;

// Hashes `path` and saves it into `store`, as `repro` or `add` would.
HashInfo SaveToCache(const fs::path& path, ObjectStore& store) {
  Hasher hasher(nullptr, nullptr);
  auto hashed = hasher.Hash(path);
  EXPECT_TRUE(hashed.ok()) << hashed.status().message();
  EXPECT_TRUE(store.Save(path, hashed->hash, hashed->tree ? &*hashed->tree : nullptr).ok());
  return hashed->hash;
}

// A Git repository whose subdirectory proj/ is a project with one stage:
// params from params.yaml, a directory output, a cached metrics file and an
// uncached one, plus data tracked by a .dvc file. The cached files are
// ignored by Git and live only in the cache (and the work tree). After the
// commit, the workspace changes lr and the metrics.
class RevisionViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path proj = dir_ / "proj";
    fs::create_directories(proj);
    ASSERT_EQ(testing::Shell(dir_.path(), "git init -q ."), 0);
    auto project = Project::Init(proj, true, false);
    ASSERT_TRUE(project.ok()) << project.status().message();
    project_ = std::make_unique<Project>(*project);
    ObjectStore store(project_->cache_dir());

    WriteFile(proj / "params.yaml", "train:\n  lr: 0.01\n");
    WriteFile(proj / "dvc.yaml",
              "stages:\n  train:\n    cmd: echo ${train.lr}\n    params: [train.lr]\n"
              "    outs: [out]\n    metrics:\n    - scores.json\n    - summary.json:\n"
              "        cache: false\n");
    WriteFile(proj / "out/a.txt", "A\n");
    WriteFile(proj / "scores.json", R"({"acc": 0.9})");
    WriteFile(proj / "summary.json", R"({"n": 1})");
    WriteFile(proj / "data/x.txt", "x\n");
    HashInfo out = SaveToCache(proj / "out", store);
    HashInfo scores = SaveToCache(proj / "scores.json", store);
    scores_md5_ = scores.md5;
    HashInfo data = SaveToCache(proj / "data", store);
    WriteFile(
        proj / "dvc.lock",
        fmt::format("schema: '2.0'\nstages:\n  train:\n    cmd: echo 0.01\n    params:\n"
                    "      params.yaml:\n        train.lr: 0.01\n    outs:\n"
                    "    - path: out\n      hash: md5\n      md5: {}\n      size: {}\n"
                    "      nfiles: 1\n"
                    "    - path: scores.json\n      hash: md5\n      md5: {}\n      size: {}\n",
                    out.md5, out.size, scores.md5, scores.size));
    auto dvc_file = FormatDvcFile(MakeAddedDvcFile("data", data));
    ASSERT_TRUE(dvc_file.ok());
    WriteFile(proj / "data.dvc", *dvc_file);
    WriteFile(proj / ".gitignore", "/out\n/scores.json\n/data\n");
    ASSERT_EQ(testing::Shell(dir_.path(),
                             "git add -A && git -c user.name=t -c user.email=t@t commit -qm one"),
              0);

    WriteFile(proj / "params.yaml", "train:\n  lr: 0.02\n");
    WriteFile(proj / "scores.json", R"({"acc": 0.95})");
    auto repo = GitRepo::Open(proj);
    ASSERT_TRUE(repo.ok());
    repo_ = std::move(repo).value();
  }

  std::unique_ptr<RevisionView> View(std::string_view revision) {
    auto view = RevisionView::Open(*project_, repo_.get(), revision);
    EXPECT_TRUE(view.ok()) << view.status().message();
    return view.ok() ? std::move(view).value() : nullptr;
  }

  testing::TempDir dir_;
  std::unique_ptr<Project> project_;
  std::unique_ptr<GitRepo> repo_;
  std::string scores_md5_;
};

TEST_F(RevisionViewTest, ParsesThePipelinesOfTheRevision) {
  auto head = View("HEAD");
  auto workspace = View("workspace");
  ASSERT_TRUE(head && workspace);
  EXPECT_EQ(head->name(), "HEAD");
  EXPECT_EQ(head->commit().size(), 40u);
  EXPECT_TRUE(workspace->is_workspace());
  // ${train.lr} comes from params.yaml as each revision has it.
  ASSERT_EQ(head->workspace().pipelines().size(), 1u);
  EXPECT_EQ(head->workspace().pipelines()[0].stages[0].cmd, std::vector<std::string>{"echo 0.01"});
  EXPECT_EQ(workspace->workspace().pipelines()[0].stages[0].cmd,
            std::vector<std::string>{"echo 0.02"});
  ASSERT_EQ(head->workspace().tracked().size(), 1u);
  EXPECT_EQ(head->workspace().tracked()[0].dvcfile, "data.dvc");
}

TEST_F(RevisionViewTest, ARevisionWithoutParamsYamlLoads) {
  // Loading reads params.yaml before any output is known; at a commit that
  // has none, that must be "absent", not a look-up in a graph not built yet.
  WriteFile(dir_ / "proj/dvc.yaml", "plots:\n- loss.csv\n");
  ASSERT_EQ(testing::Shell(dir_.path(),
                           "git rm -qf proj/params.yaml && git add -A && git -c "
                           "user.name=t -c user.email=t@t commit -qm plots-only"),
            0);
  auto head = View("HEAD");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->workspace().pipelines().size(), 1u);
  auto params = head->Read("params.yaml");
  ASSERT_TRUE(params.ok()) << params.status().message();
  EXPECT_FALSE(params->has_value());
}

TEST_F(RevisionViewTest, ReadsFromGitThenFromTheCache) {
  auto head = View("HEAD");
  ASSERT_TRUE(head);
  struct Case {
    std::string path;
    std::optional<std::string> want;
  };
  const Case cases[] = {
      {"params.yaml", "train:\n  lr: 0.01\n"},  // committed
      {"summary.json", R"({"n": 1})"},          // committed (cache: false)
      {"scores.json", R"({"acc": 0.9})"},       // the cache, by dvc.lock
      {"out/a.txt", "A\n"},                     // inside a directory output
      {"out/none.txt", std::nullopt},           // not in that directory
      {"data/x.txt", "x\n"},                    // tracked by data.dvc
      {"nope.txt", std::nullopt},               // nowhere
  };
  for (const Case& c : cases) {
    auto got = head->Read(c.path);
    ASSERT_TRUE(got.ok()) << c.path << ": " << got.status().message();
    EXPECT_EQ(*got, c.want) << c.path;
  }
  EXPECT_EQ(head->Read("out").status().message(), "'out' is a directory");
  // The reader another command uses is the same.
  EXPECT_EQ(*head->reader()("scores.json"), std::optional<std::string>(R"({"acc": 0.9})"));

  auto workspace = View("workspace");
  ASSERT_TRUE(workspace);
  EXPECT_EQ(*workspace->Read("scores.json"), std::optional<std::string>(R"({"acc": 0.95})"));
  EXPECT_EQ(*workspace->Read("nope.txt"), std::nullopt);
}

TEST_F(RevisionViewTest, AnObjectMissingFromTheCacheIsNamed) {
  ObjectStore store(project_->cache_dir());
  fs::remove(store.ObjectPath(scores_md5_));
  auto head = View("HEAD");
  ASSERT_TRUE(head);
  auto got = head->Read("scores.json");
  EXPECT_EQ(got.status().code(), Code::kNotFound);
  EXPECT_EQ(got.status().message(),
            fmt::format("'scores.json' at HEAD: its content (md5 {}) is not in the local cache",
                        scores_md5_));
}

TEST_F(RevisionViewTest, CollectsMetricsAtEachRevision) {
  auto head = View("HEAD");
  auto workspace = View("workspace");
  ASSERT_TRUE(head && workspace);
  std::vector<MetricsFile> old_files = CollectMetrics(head->workspace(), head->reader());
  std::vector<MetricsFile> new_files = CollectMetrics(workspace->workspace(), workspace->reader());
  EXPECT_EQ(MetricsJson(old_files).dump(),
            R"({"scores.json":{"data":{"acc":0.9}},"summary.json":{"data":{"n":1}}})");
  EXPECT_EQ(MetricsJson(new_files).dump(),
            R"({"scores.json":{"data":{"acc":0.95}},"summary.json":{"data":{"n":1}}})");
}

TEST_F(RevisionViewTest, UnknownRevisionsAndRepositoriesAreErrors) {
  auto unknown = RevisionView::Open(*project_, repo_.get(), "nope");
  EXPECT_EQ(unknown.status().code(), Code::kNotFound);
  auto no_repo = RevisionView::Open(*project_, nullptr, "HEAD");
  EXPECT_EQ(no_repo.status().code(), Code::kInvalid);
  EXPECT_TRUE(RevisionView::Open(*project_, nullptr, "workspace").ok());

  testing::TempDir elsewhere;
  auto project = Project::Init(elsewhere.path(), true, false);
  ASSERT_TRUE(project.ok());
  auto repo = OpenProjectRepo(*project, "metrics diff");
  EXPECT_EQ(repo.status().code(), Code::kInvalid);
  EXPECT_EQ(repo.status().message(),
            fmt::format("metrics diff compares Git revisions, but {} is not in a Git repository "
                        "(comparing the workspace with itself would show nothing)",
                        elsewhere.path().string()));
}

}  // namespace
}  // namespace conveyor
