#include "experiments/registry_location.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "common/file_util.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;

class RegistryLocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The default location is what these tests are about.
    ::unsetenv(kRegistryEnv);
    Result<Project> project = Project::Init(temp_.path(), /*no_scm=*/true, /*force=*/false);
    ASSERT_TRUE(project.ok()) << project.status().message();
    project_.emplace(std::move(project).value());
  }

  Result<std::unique_ptr<RegistryStore>> Open(LostRegistry lost = LostRegistry::kRefuse) {
    return OpenProjectRegistry(*project_, ConveyorConfig{}, "", lost);
  }
  std::string DefaultUrl() const { return "sqlite:" + db_.string(); }

  testing::TempDir temp_;
  std::optional<Project> project_;
  fs::path state_ = temp_.path() / ".conveyor";
  fs::path db_ = state_ / "registry.db";
  fs::path marker_ = state_ / kRegistryCreatedMarker;
};

TEST_F(RegistryLocationTest, TheFirstOpenCreatesTheDatabaseItsGitignoreAndTheMarker) {
  ASSERT_TRUE(Open().ok());
  EXPECT_TRUE(fs::exists(db_));
  auto gitignore = ReadFileToString(state_ / ".gitignore");
  ASSERT_TRUE(gitignore.ok()) << gitignore.status().message();
  EXPECT_EQ(*gitignore, "# conveyor's local state: the embedded registry.\n*\n");
  EXPECT_TRUE(fs::exists(marker_));
  EXPECT_FALSE(DefaultRegistryLost(*project_, DefaultUrl()));
}

TEST_F(RegistryLocationTest, ALostDatabaseIsRefusedAndNotRecreated) {
  ASSERT_TRUE(Open().ok());
  fs::remove(db_);
  EXPECT_TRUE(DefaultRegistryLost(*project_, DefaultUrl()));
  auto refused = Open();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kNotFound);
  EXPECT_EQ(refused.status().message(),
            "the registry database " + db_.string() + " is missing, but this checkout had one (" +
                marker_.string() +
                " says so); put the file back, or run 'conveyor pull' to import the experiments "
                "and model versions pushed to the remote; to start an empty registry, delete " +
                marker_.string());
  EXPECT_FALSE(fs::exists(db_));
}

TEST_F(RegistryLocationTest, PullMayCreateALostDatabase) {
  ASSERT_TRUE(Open().ok());
  fs::remove(db_);
  ASSERT_TRUE(Open(LostRegistry::kCreate).ok());
  EXPECT_TRUE(fs::exists(db_));
  EXPECT_FALSE(DefaultRegistryLost(*project_, DefaultUrl()));
}

TEST_F(RegistryLocationTest, DeletingTheMarkerStartsAnEmptyRegistry) {
  ASSERT_TRUE(Open().ok());
  fs::remove(db_);
  fs::remove(marker_);
  ASSERT_TRUE(Open().ok());
  EXPECT_TRUE(fs::exists(db_));
  EXPECT_TRUE(fs::exists(marker_));
}

// A project that had a registry before the marker existed gets one on its
// next open, so it is protected from then on.
TEST_F(RegistryLocationTest, AnExistingDatabaseWithoutAMarkerGetsOne) {
  ASSERT_TRUE(Open().ok());
  fs::remove(marker_);
  ASSERT_TRUE(Open().ok());
  EXPECT_TRUE(fs::exists(marker_));
}

// Neither the marker nor the refusal applies to a database named by the
// user: its path is theirs to manage.
TEST_F(RegistryLocationTest, AnExplicitLocationIsNotMarked) {
  ASSERT_TRUE(Open().ok());
  fs::remove(db_);
  const fs::path elsewhere = temp_.path() / "elsewhere.db";
  auto opened = OpenProjectRegistry(*project_, ConveyorConfig{}, "sqlite:" + elsewhere.string());
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  EXPECT_TRUE(fs::exists(elsewhere));
  EXPECT_FALSE(DefaultRegistryLost(*project_, "sqlite:" + elsewhere.string()));
  EXPECT_FALSE(fs::exists(db_));
}

// A database that cannot be created leaves no marker to claim it existed.
TEST_F(RegistryLocationTest, AFailedFirstOpenLeavesNoMarker) {
  ASSERT_TRUE(fs::create_directories(db_));  // a directory where the file goes
  EXPECT_FALSE(Open().ok());
  EXPECT_FALSE(fs::exists(marker_));
}

// Commands that only read what is registered (gc, push) open a registry
// that exists and make none.
TEST_F(RegistryLocationTest, OpeningAnExistingRegistryCreatesNone) {
  auto existing = [&](LostRegistry lost) {
    return OpenExistingProjectRegistry(*project_, ConveyorConfig{}, "", lost);
  };
  auto never_made = existing(LostRegistry::kRefuse);
  ASSERT_TRUE(never_made.ok()) << never_made.status().message();
  EXPECT_EQ(*never_made, nullptr);
  EXPECT_FALSE(fs::exists(state_));

  ASSERT_TRUE(Open().ok());
  auto made = existing(LostRegistry::kRefuse);
  ASSERT_TRUE(made.ok()) << made.status().message();
  EXPECT_NE(*made, nullptr);

  made->reset();
  fs::remove(db_);
  auto lost = existing(LostRegistry::kRefuse);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), Code::kNotFound);
  EXPECT_NE(lost.status().message().find("is missing, but this checkout had one"),
            std::string::npos)
      << lost.status().message();
  auto lost_for_pull = existing(LostRegistry::kCreate);
  ASSERT_TRUE(lost_for_pull.ok()) << lost_for_pull.status().message();
  EXPECT_EQ(*lost_for_pull, nullptr);
  EXPECT_FALSE(fs::exists(db_));

  const fs::path elsewhere = temp_.path() / "elsewhere.db";
  auto absent = OpenExistingProjectRegistry(*project_, ConveyorConfig{},
                                            "sqlite:" + elsewhere.string(), LostRegistry::kRefuse);
  ASSERT_TRUE(absent.ok()) << absent.status().message();
  EXPECT_EQ(*absent, nullptr);
  EXPECT_FALSE(fs::exists(elsewhere));
}

// gc asks for a named registry to exist: a mistyped path must not read as
// "nothing is registered". The default location may still be absent.
TEST_F(RegistryLocationTest, ANamedRegistryThatMustExistIsNamedWhenMissing) {
  ConveyorConfig config;
  config.registry = "sqlite:team.db";
  auto named = OpenExistingProjectRegistry(*project_, config, "", LostRegistry::kRefuse,
                                           NamedRegistry::kMustExist);
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.status().code(), Code::kNotFound);
  EXPECT_EQ(named.status().message(), "the registry sqlite:" + (temp_.path() / "team.db").string() +
                                          " (named by conveyor.yaml's registry) does not exist");
  EXPECT_FALSE(fs::exists(temp_.path() / "team.db"));

  auto by_default = OpenExistingProjectRegistry(*project_, ConveyorConfig{}, "",
                                                LostRegistry::kRefuse, NamedRegistry::kMustExist);
  ASSERT_TRUE(by_default.ok()) << by_default.status().message();
  EXPECT_EQ(*by_default, nullptr);
}

}  // namespace
}  // namespace conveyor
