#include "report/value_diff.h"

#include <gtest/gtest.h>

#include "report/text_table.h"

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

TEST(ValueDiffTest, ComparesKeyByKey) {
  const FlatValues old_files = {
      {"m.json", Json::parse(R"({"acc": 0.9, "n": 10, "opt": "sgd", "same": 1, "ok": true,
                                 "gone": 3})")},
      {"old_only.json", Json::parse(R"({"x": 1})")}};
  const FlatValues new_files = {
      {"m.json", Json::parse(R"({"acc": 0.95, "n": 12, "opt": "adam", "same": 1.0, "ok": false,
                                 "added": [1, 2]})")},
      {"a.json", Json::parse(R"({"y": 2})")}};
  std::vector<ValueChange> changes = DiffValues(old_files, new_files, false);
  auto v = [](const char* text) { return std::optional<Json>(Json::parse(text)); };
  const std::optional<Json> none;
  const std::vector<ValueChange> want = {
      {"a.json", "y", none, v("2"), none},
      {"m.json", "acc", v("0.9"), v("0.95"), Json(0.95 - 0.9)},
      {"m.json", "added", none, v("[1, 2]"), none},
      {"m.json", "gone", v("3"), none, none},
      {"m.json", "n", v("10"), v("12"), Json(2)},
      {"m.json", "ok", v("true"), v("false"), none},  // booleans are not diffed
      {"m.json", "opt", v("\"sgd\""), v("\"adam\""), none},
      {"old_only.json", "x", v("1"), none, none},
  };
  EXPECT_EQ(changes, want);

  // With `all`, equal values (1 and 1.0 are equal) are listed too.
  std::vector<ValueChange> all = DiffValues(old_files, new_files, true);
  ASSERT_EQ(all.size(), want.size() + 1);
  EXPECT_EQ(all[7].key, "same");
  EXPECT_EQ(all[7].change, Json(0.0));
}

TEST(ValueDiffTest, FormatsCellsAsDvcDoes) {
  struct Case {
    std::optional<Json> value;
    std::optional<int> decimals;
    std::string want;
  };
  const Case cases[] = {
      {std::nullopt, 5, "-"},
      {Json(0.9533333333), 5, "0.95333"},
      {Json(0.95 - 0.9), 5, "0.05"},
      {Json(0.95 - 0.9), std::nullopt, "0.04999999999999993"},
      {Json(2.0), std::nullopt, "2.0"},
      {Json(1e-05), std::nullopt, "1e-05"},
      {Json(1e-07), 5, "0.0"},
      {Json(1234.56789), 2, "1234.57"},
      {Json(42), 1, "42"},
      {Json(-3), 5, "-3"},
      {Json("adam"), 5, "adam"},
      {Json(true), 5, "true"},
      {Json::parse("[1, 2]"), 5, "[1,2]"},
      {Json::object(), 5, "{}"},
      {Json(nullptr), 5, "null"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FormatDiffCell(c.value, c.decimals), c.want) << (c.value ? c.value->dump() : "-");
  }
}

TEST(ValueDiffTest, RendersTablesAndJson) {
  const std::vector<ValueChange> changes = {
      {"metrics.json", "acc", Json(0.9), Json(0.95), Json(0.95 - 0.9)},
      {"metrics.json", "opt", Json("sgd"), std::nullopt, std::nullopt},
  };
  DiffTableFormat format{"Metric", "HEAD", "workspace", true, true, false, 5};
  EXPECT_EQ(FormatDiffTable(changes, format),
            "Path          Metric  HEAD  workspace  Change\n"
            "metrics.json  acc     0.9   0.95       0.05\n"
            "metrics.json  opt     sgd   -          -\n");
  format.markdown = true;
  format.path_column = false;
  format.change_column = false;
  EXPECT_EQ(FormatDiffTable(changes, format),
            "| Metric | HEAD | workspace |\n|---|---|---|\n"
            "| acc | 0.9 | 0.95 |\n"
            "| opt | sgd | - |\n");
  EXPECT_EQ(FormatDiffTable({}, format), "");
  EXPECT_EQ(DiffJson(changes, true).dump(),
            R"({"metrics.json":{"acc":{"old":0.9,"new":0.95,"diff":0.04999999999999993},)"
            R"("opt":{"old":"sgd","new":null}}})");
  EXPECT_EQ(DiffJson(changes, false).dump(),
            R"({"metrics.json":{"acc":{"old":0.9,"new":0.95},"opt":{"old":"sgd","new":null}}})");
}

TEST(TextTableTest, AlignsAndEscapes) {
  EXPECT_EQ(FormatTextTable({"a", "bb"}, {{"ccc", "d"}, {"e", "f"}}),
            "a    bb\n"
            "ccc  d\n"
            "e    f\n");
  EXPECT_EQ(FormatMarkdownTable({"a"}, {{"x|y"}}), "| a |\n|---|\n| x\\|y |\n");
}

}  // namespace
}  // namespace conveyor
