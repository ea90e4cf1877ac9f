#include "experiments/exp_table.h"

#include <gtest/gtest.h>

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

ExperimentRecord Exp(std::string tag, double accuracy, int depth, bool dirty = false) {
  ExperimentRecord record;
  record.tag = std::move(tag);
  record.dirty = dirty;
  record.started_at_ms = 1795752055000;  // 2026-11-27 04:00:55 UTC
  record.metrics = Json::parse(R"({"metrics.json": {}})");
  record.metrics["metrics.json"]["accuracy"] = accuracy;
  record.metrics["metrics.json"]["n"] = 1000;
  record.params = Json::parse(R"({"params.yaml": {"seed": 1}})");
  record.params["params.yaml"]["train.max_depth"] = depth;
  return record;
}

TEST(ExpTableTest, OneRowPerExperimentWithMetricAndParamColumns) {
  auto table = BuildExpTable({Exp("abc1234", 0.94412, 6, true), Exp("def5678", 0.95, 8)}, {});
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->header, (std::vector<std::string>{"Experiment", "Created", "Status", "accuracy",
                                                     "n", "seed", "train.max_depth"}));
  ASSERT_EQ(table->rows.size(), 2u);
  EXPECT_EQ(table->rows[0], (std::vector<std::string>{"abc1234*", "2026-11-27 04:00:55",
                                                      "succeeded", "0.94412", "1000", "1", "6"}));
  EXPECT_EQ(table->rows[1][0], "def5678");
}

TEST(ExpTableTest, OnlyChangedDropsConstantColumns) {
  ExpTableOptions options;
  options.only_changed = true;
  auto table = BuildExpTable({Exp("a", 0.9, 6), Exp("b", 0.95, 8)}, options);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->header, (std::vector<std::string>{"Experiment", "Created", "Status", "accuracy",
                                                     "train.max_depth"}));
}

TEST(ExpTableTest, KeepAndDropFilterColumnsByRegex) {
  ExpTableOptions options;
  options.keep = "acc.*|train\\..*";
  auto table = BuildExpTable({Exp("a", 0.9, 6)}, options);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->header, (std::vector<std::string>{"Experiment", "Created", "Status", "accuracy",
                                                     "train.max_depth"}));
  options.keep.clear();
  options.drop = "n|seed";
  table = BuildExpTable({Exp("a", 0.9, 6)}, options);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->header.size(), 5u);
  options.drop = "(";
  table = BuildExpTable({Exp("a", 0.9, 6)}, options);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), Code::kInvalid);
}

TEST(ExpTableTest, SortsByAColumnWithMissingValuesLast) {
  ExperimentRecord bare;
  bare.tag = "bare";
  ExpTableOptions options;
  options.sort_by = "accuracy";
  auto table = BuildExpTable({Exp("a", 0.9, 6), bare, Exp("b", 0.95, 8)}, options);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->order, (std::vector<size_t>{2, 0, 1}));
  options.ascending = true;
  options.sort_by = "params.yaml:train.max_depth";
  table = BuildExpTable({Exp("a", 0.9, 8), bare, Exp("b", 0.95, 6)}, options);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->order, (std::vector<size_t>{2, 0, 1}));
  EXPECT_EQ(table->rows[2][3], "-");
}

TEST(ExpTableTest, UnknownSortColumnSuggestsTheNearest) {
  ExpTableOptions options;
  options.sort_by = "acuracy";
  auto table = BuildExpTable({Exp("a", 0.9, 6)}, options);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message(),
            "--sort-by: no metric or param column 'acuracy' (did you mean 'accuracy'?)");
}

TEST(ExpTableTest, RepeatedKeysAreQualifiedByFile) {
  ExperimentRecord record = Exp("a", 0.9, 6);
  record.metrics["eval/metrics.json"]["accuracy"] = 0.5;
  auto table = BuildExpTable({record}, {});
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->header[3], "metrics.json:accuracy");
  EXPECT_EQ(table->header[5], "eval/metrics.json:accuracy");
}

TEST(ExpTableTest, CsvQuotesWhatNeedsIt) {
  EXPECT_EQ(FormatCsv({"a", "b"}, {{"1,2", "say \"hi\""}, {"x", ""}}),
            "a,b\r\n\"1,2\",\"say \"\"hi\"\"\"\r\nx,\r\n");
}

}  // namespace
}  // namespace conveyor
