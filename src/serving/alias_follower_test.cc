#include "serving/alias_follower.h"

#include <gtest/gtest.h>

#include <vector>

#include "registry/sqlite_store.h"
#include "serving/test_digits_registry.h"

namespace conveyor::serving {
namespace {

using namespace std::chrono_literals;

// The digits registry with three versions: v1 and v2 (the same model), and
// v3, whose object is not in the cache, so loading it fails.
class AliasFollowerTest : public testing::DigitsRegistryTest {
 protected:
  void SetUp() override {
    DigitsRegistryTest::SetUp();
    ASSERT_FALSE(HasFatalFailure());
    auto v1 = loader_store_->GetModelVersion("digits", 1);
    ASSERT_TRUE(v1.ok());
    NewModelVersion copy{
        .model = "digits", .path = "model", .md5 = v1->md5, .spec_path = "model/model.yaml"};
    ASSERT_TRUE(loader_store_->RegisterModelVersion(copy).ok());
    copy.md5 = "0123456789abcdef0123456789abcdef.dir";
    ASSERT_TRUE(loader_store_->RegisterModelVersion(copy).ok());
    auto opened = OpenSqliteStore(dir_ / "registry.db");
    ASSERT_TRUE(opened.ok());
    follower_store_ = std::move(*opened);
    follower_ = std::make_unique<AliasFollower>(
        *manager_, "digits", "production",
        [this]() -> Result<int> {
          if (!unavailable_.ok())
            return unavailable_;
          ASSIGN_OR_RETURN(auto aliases, follower_store_->Aliases("digits"));
          auto it = aliases.find("production");
          if (it == aliases.end())
            return Error(Code::kNotFound, "not set");
          return it->second;
        },
        AliasFollowerOptions{.interval = 2000ms, .retry_after = 30000ms},
        [this](std::string_view line) { notes_.emplace_back(line); });
  }

  void Point(int version) {
    ASSERT_TRUE(loader_store_->SetAlias("digits", "production", version, "ci", "").ok());
  }
  int Served() const {
    auto current = manager_->Current();
    return current == nullptr ? 0 : current->identity().version;
  }

  std::unique_ptr<RegistryStore> follower_store_;
  std::unique_ptr<AliasFollower> follower_;
  std::vector<std::string> notes_;
  Status unavailable_;
  const AliasFollower::Clock::time_point t0_{};
};

TEST_F(AliasFollowerTest, SwapsWhenTheAliasMovesCheckingOncePerInterval) {
  Point(1);
  EXPECT_TRUE(follower_->Poll(t0_));
  EXPECT_EQ(Served(), 1);
  EXPECT_FALSE(follower_->Poll(t0_ + 2s));  // unchanged: nothing to do

  Point(2);
  EXPECT_FALSE(follower_->Poll(t0_ + 3s));  // not due yet
  EXPECT_EQ(Served(), 1);
  EXPECT_TRUE(follower_->Poll(t0_ + 4s));
  EXPECT_EQ(Served(), 2);
  EXPECT_EQ(manager_->Current()->identity().reference, "digits@2") << "asked for by number";
  ASSERT_FALSE(notes_.empty());
  EXPECT_NE(notes_.back().find("digits@production: now serving digits v2"), std::string::npos)
      << notes_.back();
}

TEST_F(AliasFollowerTest, AFailedSwapKeepsServingAndWaitsBeforeRetrying) {
  Point(2);
  ASSERT_TRUE(follower_->Poll(t0_));
  Point(3);
  EXPECT_FALSE(follower_->Poll(t0_ + 2s));
  EXPECT_EQ(Served(), 2);
  EXPECT_NE(notes_.back().find("swap of digits@production to v3 failed, still serving v2"),
            std::string::npos)
      << notes_.back();
  size_t notes = notes_.size();
  EXPECT_FALSE(follower_->Poll(t0_ + 4s));
  EXPECT_EQ(notes_.size(), notes) << "not retried within retry_after";
  EXPECT_FALSE(follower_->Poll(t0_ + 33s));
  EXPECT_GT(notes_.size(), notes) << "retried after retry_after";

  // Moving the alias again is acted on at once.
  Point(1);
  EXPECT_TRUE(follower_->Poll(t0_ + 35s));
  EXPECT_EQ(Served(), 1);
}

TEST_F(AliasFollowerTest, UnsetAliasAndUnreadableRegistryKeepTheModelAndAreReportedOnce) {
  Point(1);
  ASSERT_TRUE(follower_->Poll(t0_));
  ASSERT_TRUE(loader_store_->RemoveAlias("digits", "production", "ci", "").ok());
  size_t before = notes_.size();
  EXPECT_FALSE(follower_->Poll(t0_ + 2s));
  EXPECT_FALSE(follower_->Poll(t0_ + 4s));
  ASSERT_EQ(notes_.size(), before + 1);
  EXPECT_EQ(notes_.back(), "digits@production is not set any more; still serving v1");

  unavailable_ = Error(Code::kUnavailable, "database is locked");
  EXPECT_FALSE(follower_->Poll(t0_ + 6s));
  EXPECT_FALSE(follower_->Poll(t0_ + 8s));
  ASSERT_EQ(notes_.size(), before + 2);
  EXPECT_NE(notes_.back().find("cannot read digits@production (still serving v1"),
            std::string::npos);
  EXPECT_EQ(Served(), 1);

  unavailable_ = OkStatus();
  Point(2);
  EXPECT_TRUE(follower_->Poll(t0_ + 10s));
  EXPECT_EQ(Served(), 2);
}

TEST_F(AliasFollowerTest, ANudgeChecksAtOnce) {
  bool moved = false;
  follower_->SetNudge([&moved] { return std::exchange(moved, false); });
  Point(1);
  ASSERT_TRUE(follower_->Poll(t0_));
  Point(2);
  EXPECT_FALSE(follower_->Poll(t0_ + 100ms)) << "no nudge, not due";
  moved = true;
  EXPECT_TRUE(follower_->Poll(t0_ + 150ms));
  EXPECT_EQ(Served(), 2);
}

}  // namespace
}  // namespace conveyor::serving
