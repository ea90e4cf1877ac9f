#include "pipeline/context.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

TEST(ContextTest, MergesSourcesRecursively) {
  testing::TempDir dir;
  testing::WriteFile(dir / "params.yaml", "train:\n  lr: 0.1\n");
  testing::WriteFile(dir / "sub/more.yaml", "train:\n  epochs: 3\nseed: 1\nextra: 2\n");
  Context context;
  ASSERT_TRUE(context.MergeDefaultParams(dir.path(), "").ok());
  ASSERT_TRUE(context.MergeFile(dir.path(), "sub", "more.yaml:train,seed").ok());
  ASSERT_TRUE(context.MergeInline(Json::parse(R"({"train": {"opt": "adam"}})"), "vars[1]").ok());
  EXPECT_EQ(context.data().dump(), R"({"train":{"lr":0.1,"epochs":3,"opt":"adam"},"seed":1})");
  // A whole file may be named again; nothing changes.
  EXPECT_TRUE(context.MergeFile(dir.path(), "", "params.yaml").ok());
}

TEST(ContextTest, Errors) {
  testing::TempDir dir;
  testing::WriteFile(dir / "params.yaml", "train:\n  lr: 0.1\nitem: 3\n");
  testing::WriteFile(dir / "p2.yaml", "a: 1\nb: 2\n");
  Context context;
  ASSERT_TRUE(context.MergeDefaultParams(dir.path(), ".").ok());
  struct Case {
    std::function<Status(Context&)> action;
    const char* message;
  };
  const Case cases[] = {
      {[](Context& c) { return c.MergeInline(Json::parse(R"({"train": {"lr": 1}})"), "vars[0]"); },
       "cannot redefine 'train.lr' from 'vars[0]' as it already exists in 'params.yaml'"},
      {[&dir](Context& c) { return c.MergeFile(dir.path(), "", "nope.yaml"); },
       "'nope.yaml' does not exist"},
      {[&dir](Context& c) { return c.MergeFile(dir.path(), "", "p2.yaml:c"); },
       "could not find 'c' in 'p2.yaml'"},
      {[&dir](Context& c) { return c.MergeFile(dir.path(), "", "params.yaml:train"); },
       "cannot partially load 'params.yaml:train' as it's already loaded."},
  };
  for (const Case& c : cases) {
    Context copy = context;
    Status status = c.action(copy);
    EXPECT_EQ(status.message(), c.message);
  }
  Context partial;
  ASSERT_TRUE(partial.MergeFile(dir.path(), "", "p2.yaml:a").ok());
  EXPECT_EQ(partial.MergeFile(dir.path(), "", "p2.yaml").message(),
            "cannot load 'p2.yaml' as it's partially loaded already");
  EXPECT_EQ(partial.MergeFile(dir.path(), "", "p2.yaml:a").message(),
            "cannot load 'p2.yaml:a' as it's partially loaded already");
  EXPECT_TRUE(partial.MergeFile(dir.path(), "", "p2.yaml:b").ok());

  Context reserved;
  reserved.SetReserved("item", Json("x"));
  EXPECT_EQ(reserved.MergeInline(Json::parse(R"({"item": 1})"), "s.vars[0]").message(),
            "attempted to modify reserved key item");
  EXPECT_EQ(reserved.MergeFile(dir.path(), "", "params.yaml").message(),
            "attempted to modify reserved key item in 'params.yaml'");
}

TEST(ContextTest, SelectNegativeIndexAndCopiesAreIndependent) {
  Context context;
  ASSERT_TRUE(context.MergeInline(Json::parse(R"({"l": [1, 2, 3]})"), "vars[0]").ok());
  EXPECT_EQ(context.Select("l.-1").value(), Json(3));
  Context copy = context;
  copy.SetReserved("item", Json(5));
  EXPECT_FALSE(context.Contains("item"));
  EXPECT_TRUE(copy.Contains("item"));
}

}  // namespace
}  // namespace conveyor
