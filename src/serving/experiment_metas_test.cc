#include "serving/experiment_metas.h"

#include <gtest/gtest.h>

#include "registry/sqlite_store.h"
#include "testing/temp_dir.h"

namespace conveyor::serving {
namespace {

TEST(MetasQueryTest, DefaultsAndLimits) {
  auto defaults = ParseMetasQuery({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->limit, 100);
  EXPECT_EQ(defaults->offset, 0);
  EXPECT_FALSE(defaults->oldest_first);
  auto given = ParseMetasQuery({{"limit", "5"}, {"offset", "10"}, {"order", "oldest"}});
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->limit, 5);
  EXPECT_EQ(given->offset, 10);
  EXPECT_TRUE(given->oldest_first);
  EXPECT_EQ(ParseMetasQuery({{"limit", "0"}}).status().message(),
            "query parameter 'limit': expected an integer from 1 to 1000, got '0'");
  EXPECT_EQ(ParseMetasQuery({{"offset", "x"}}).status().code(), Code::kInvalid);
  EXPECT_EQ(ParseMetasQuery({{"limit", "5x"}}).status().code(), Code::kInvalid);
  EXPECT_EQ(ParseMetasQuery({{"order", "up"}}).status().message(),
            "query parameter 'order': expected 'newest' or 'oldest', got 'up'");
}

TEST(ExperimentMetasTest, EachExperimentWithTheModelVersionsItProduced) {
  testing::TempDir dir;
  auto store = OpenSqliteStore(dir / "registry.db");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (const char* tag : {"aaa1111", "bbb2222", "ccc3333"}) {
    ExperimentRecord record;
    record.tag = tag;
    record.metrics["metrics.json"]["accuracy"] = 0.9;
    std::vector<NewModelVersion> models;
    if (std::string(tag) != "bbb2222")
      models.push_back({.model = "digits", .path = "model", .md5 = tag});
    ASSERT_TRUE((*store)->AddExperiment(record, models).ok());
  }
  ASSERT_TRUE((*store)->SetAlias("digits", "production", 1, "ada", "").ok());

  auto metas = ExperimentMetas(**store, {.limit = 2});
  ASSERT_TRUE(metas.ok()) << metas.status().ToString();
  ASSERT_EQ(metas->size(), 2u);
  EXPECT_EQ((*metas)[0]["tag"], "ccc3333");
  EXPECT_EQ((*metas)[0]["models"][0]["name"], "digits");
  EXPECT_EQ((*metas)[0]["models"][0]["version"], 2);
  EXPECT_EQ((*metas)[0]["metrics"]["metrics.json"]["accuracy"], 0.9);
  EXPECT_EQ((*metas)[1]["tag"], "bbb2222");
  EXPECT_TRUE((*metas)[1]["models"].empty());

  auto oldest = ExperimentMetas(**store, {.limit = 1, .offset = 0, .oldest_first = true});
  ASSERT_TRUE(oldest.ok());
  EXPECT_EQ((*oldest)[0]["tag"], "aaa1111");
  EXPECT_EQ((*oldest)[0]["models"][0]["aliases"][0], "production");
  EXPECT_TRUE((*oldest)[0].contains("created_at"));
  EXPECT_TRUE((*oldest)[0].contains("params"));
  EXPECT_TRUE((*oldest)[0].contains("commit"));
}

}  // namespace
}  // namespace conveyor::serving
