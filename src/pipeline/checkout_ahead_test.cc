#include "pipeline/checkout_ahead.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "cache/hasher.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::WriteFile;

// A project whose tracked outputs are recorded and cached, then deleted from
// the workspace, with their file objects moved aside to a "remote" folder
// that Arrive() brings back one at a time, as a fetch would.
class CheckoutAheadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto project = Project::Init(dir_.path(), true, false);
    ASSERT_TRUE(project.ok());
    project_ = std::make_unique<Project>(std::move(project).value());
    auto cache = ProjectCache::Open(*project_);
    ASSERT_TRUE(cache.ok()) << cache.status().message();
    cache_ = std::move(cache).value();
  }

  // Records `path` (written beforehand) in `path`.dvc and saves it.
  void Track(const std::string& path) {
    Hasher hasher(nullptr, nullptr);
    auto hashed = hasher.Hash(dir_ / path, true);
    ASSERT_TRUE(hashed.ok()) << hashed.status().message();
    ASSERT_TRUE(cache_->store()
                    .Save(dir_ / path, hashed->hash, hashed->tree ? &*hashed->tree : nullptr)
                    .ok());
    std::string dvc = "outs:\n- md5: " + hashed->hash.md5 +
                      "\n  size: " + std::to_string(hashed->hash.size) + "\n";
    if (hashed->tree.has_value()) {
      dvc += "  nfiles: " + std::to_string(hashed->tree->entries.size()) + "\n";
      for (const TreeEntry& entry : hashed->tree->entries)
        contents_[entry.md5] = entry.relpath;
    } else {
      contents_[hashed->hash.md5] = path;
    }
    dvc += "  path: " + fs::path(path).filename().string() + "\n";
    WriteFile(dir_ / (path + ".dvc"), dvc);
  }

  // Moves every file object out of the cache and deletes `paths` from the
  // workspace.
  void Forget(const std::vector<std::string>& paths) {
    for (const auto& [md5, name] : contents_) {
      fs::path object = cache_->store().ObjectPath(md5);
      fs::create_directories(remote_.path());
      fs::rename(object, remote_ / md5);
    }
    for (const std::string& path : paths)
      fs::remove_all(dir_ / path);
  }

  void Arrive(CheckoutAhead& ahead, const std::string& md5) {
    fs::path object = cache_->store().ObjectPath(md5);
    fs::rename(remote_ / md5, object);
    ahead.Stored(md5);
  }

  void ArriveAll(CheckoutAhead& ahead) {
    for (const auto& [md5, name] : contents_)
      Arrive(ahead, md5);
  }

  Workspace LoadWorkspace() {
    auto workspace = Workspace::Load(*project_);
    EXPECT_TRUE(workspace.ok()) << workspace.status().message();
    return std::move(workspace).value();
  }

  testing::TempDir dir_;
  testing::TempDir remote_;
  std::unique_ptr<Project> project_;
  std::unique_ptr<ProjectCache> cache_;
  std::map<std::string, std::string> contents_;  // file object md5 -> a name
};

TEST_F(CheckoutAheadTest, PlacesAbsentOutputsAsTheirObjectsArrive) {
  WriteFile(dir_ / "images/a.txt", "alpha");
  WriteFile(dir_ / "images/sub/b.txt", "beta");
  WriteFile(dir_ / "images/sub/same.txt", "alpha");  // same content twice
  WriteFile(dir_ / "model.bin", "weights");
  Track("images");
  Track("model.bin");
  Forget({"images", "model.bin"});
  Workspace workspace = LoadWorkspace();

  CheckoutAhead ahead(*cache_, workspace, {});
  ahead.Plan();
  EXPECT_TRUE(fs::is_directory(dir_ / "images/sub"));  // made by Plan
  ArriveAll(ahead);
  EXPECT_EQ(ReadFile(dir_ / "images/a.txt"), "alpha");
  EXPECT_EQ(ReadFile(dir_ / "images/sub/b.txt"), "beta");
  EXPECT_EQ(ReadFile(dir_ / "images/sub/same.txt"), "alpha");
  EXPECT_EQ(ReadFile(dir_ / "model.bin"), "weights");
  std::set<std::string> placed = ahead.Finish();
  EXPECT_EQ(placed, (std::set<std::string>{"images", "model.bin"}));

  // CheckoutWorkspace trusts them and reports them as added.
  Hasher hasher(nullptr, nullptr);
  auto report = CheckoutWorkspace(*cache_, workspace, hasher, {{}, false, placed});
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->added, (std::vector<std::string>{"images", "model.bin"}));
  EXPECT_TRUE(report->modified.empty());
  EXPECT_TRUE(report->missing.empty());
}

TEST_F(CheckoutAheadTest, LeavesWhatExistsAndWhatIsPartlyCachedToCheckout) {
  WriteFile(dir_ / "kept/a.txt", "alpha");
  WriteFile(dir_ / "partly/b.txt", "beta");
  WriteFile(dir_ / "partly/c.txt", "gamma");
  Track("kept");
  Track("partly");
  Forget({"partly"});
  // `kept` still exists, though its objects are gone; one of `partly`'s
  // objects is back in the cache before the plan.
  WriteFile(dir_ / "kept/local-change.txt", "mine");
  std::string beta_md5;
  for (const auto& [md5, name] : contents_) {
    if (name == "b.txt")
      beta_md5 = md5;
  }
  fs::rename(remote_ / beta_md5, cache_->store().ObjectPath(beta_md5));
  Workspace workspace = LoadWorkspace();

  CheckoutAhead ahead(*cache_, workspace, {});
  ahead.Plan();
  EXPECT_FALSE(fs::exists(dir_ / "partly"));
  for (const auto& [md5, name] : contents_) {
    if (md5 != beta_md5)
      Arrive(ahead, md5);
  }
  EXPECT_FALSE(fs::exists(dir_ / "partly"));
  EXPECT_EQ(ReadFile(dir_ / "kept/local-change.txt"), "mine");
  EXPECT_TRUE(ahead.Finish().empty());
}

TEST_F(CheckoutAheadTest, FinishRemovesWhatAMissingObjectLeftIncomplete) {
  WriteFile(dir_ / "deep/er/data/a.txt", "alpha");
  WriteFile(dir_ / "deep/er/data/b.txt", "beta");
  WriteFile(dir_ / "whole/c.txt", "gamma");
  Track("deep/er/data");
  Track("whole");
  Forget({"deep/er/data", "whole"});
  Workspace workspace = LoadWorkspace();

  CheckoutAhead ahead(*cache_, workspace, {});
  ahead.Plan();
  for (const auto& [md5, name] : contents_) {
    if (name != "b.txt")  // the remote lacks it
      Arrive(ahead, md5);
  }
  EXPECT_TRUE(fs::exists(dir_ / "deep/er/data/a.txt"));
  EXPECT_EQ(ahead.Finish(), std::set<std::string>{"whole"});
  // What Plan made for the unfinished output is gone; the .dvc file stays.
  EXPECT_FALSE(fs::exists(dir_ / "deep/er/data"));
  EXPECT_TRUE(fs::exists(dir_ / "deep/er/data.dvc"));
  EXPECT_EQ(ReadFile(dir_ / "whole/c.txt"), "gamma");
}

TEST_F(CheckoutAheadTest, UndoRestoresTheWorkspaceAfterAFailedFetch) {
  WriteFile(dir_ / "data/a.txt", "alpha");
  WriteFile(dir_ / "data/b.txt", "beta");
  Track("data");
  Forget({"data"});
  Workspace workspace = LoadWorkspace();

  CheckoutAhead ahead(*cache_, workspace, {});
  ahead.Plan();
  ArriveAll(ahead);
  EXPECT_TRUE(fs::exists(dir_ / "data/b.txt"));
  ahead.Undo();
  EXPECT_FALSE(fs::exists(dir_ / "data"));
  EXPECT_TRUE(ahead.Finish().empty());
}

TEST_F(CheckoutAheadTest, PlansOnlyTheTargets) {
  WriteFile(dir_ / "one/a.txt", "alpha");
  WriteFile(dir_ / "two/b.txt", "beta");
  Track("one");
  Track("two");
  Forget({"one", "two"});
  Workspace workspace = LoadWorkspace();

  CheckoutAhead ahead(*cache_, workspace, {"two.dvc"});
  ahead.Plan();
  ArriveAll(ahead);
  EXPECT_FALSE(fs::exists(dir_ / "one"));
  EXPECT_EQ(ReadFile(dir_ / "two/b.txt"), "beta");
  EXPECT_EQ(ahead.Finish(), std::set<std::string>{"two"});
}

}  // namespace
}  // namespace conveyor
