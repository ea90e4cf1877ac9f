#include "plots/plot_data.h"

#include <gtest/gtest.h>

namespace conveyor {
namespace {

std::string Error(std::string_view path, std::string_view content, PlotReadOptions options = {}) {
  Result<PlotTable> table = ParsePlotData(path, content, options);
  return table.ok() ? "<ok>" : table.status().message();
}

TEST(PlotDataTest, CsvWithHeaderTypesEachCell) {
  auto table = ParsePlotData("p.csv", "class,precision,note\n0,0.9570,ok\n1, 1e-3 ,\"a, b\"\n");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->fields, (std::vector<std::string>{"class", "precision", "note"}));
  ASSERT_EQ(table->rows.size(), 2u);
  EXPECT_TRUE(table->rows[0][0].is_number());
  EXPECT_EQ(table->rows[0][1].number, 0.957);
  EXPECT_EQ(table->rows[0][1].text, "0.9570");
  EXPECT_FALSE(table->rows[0][2].is_number());
  EXPECT_EQ(table->rows[1][1].number, 0.001);
  EXPECT_EQ(table->rows[1][2].text, "a, b");
  EXPECT_EQ(table->FieldIndex("note"), 2u);
  EXPECT_FALSE(table->FieldIndex("recall").has_value());
}

TEST(PlotDataTest, CsvQuotesCrlfAndBlankLines) {
  auto table = ParsePlotData("p.csv", "a,b\r\n\"x \"\"q\"\"\",\"multi\nline\"\r\n\r\n3,nan\r\n");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  ASSERT_EQ(table->rows.size(), 2u);
  EXPECT_EQ(table->rows[0][0].text, "x \"q\"");
  EXPECT_EQ(table->rows[0][1].text, "multi\nline");
  EXPECT_FALSE(table->rows[1][1].is_number());  // "nan" is text, not a number
}

TEST(PlotDataTest, CsvWithoutHeaderNamesColumnsByIndex) {
  auto table = ParsePlotData("p.csv", "1,2\n3,4\n", PlotReadOptions{.header = false});
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->fields, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(table->rows.size(), 2u);
}

TEST(PlotDataTest, TsvUsesTabs) {
  auto table = ParsePlotData("logs/loss.tsv", "step\tloss\n0\t1.5\n1\t0.7\n");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->fields, (std::vector<std::string>{"step", "loss"}));
  EXPECT_EQ(table->rows[1][1].number, 0.7);
}

TEST(PlotDataTest, CsvErrorsNameFileAndLine) {
  EXPECT_EQ(Error("plots/a.csv", "x,y,z\n1,2,3\n\n4,5\n"),
            "plots/a.csv:4: expected 3 fields, found 2");
  EXPECT_EQ(Error("a.csv", "x,y\n1,\"open\n2,3\n"), "a.csv:2: quoted field is never closed");
  EXPECT_EQ(Error("a.csv", "x,y\n\"a\"b,1\n"), "a.csv:2: unexpected 'b' after a closing quote");
  EXPECT_EQ(Error("a.csv", "x,x\n1,2\n"), "a.csv:1: field 'x' is named twice in the header");
}

TEST(PlotDataTest, JsonListOfObjects) {
  auto table = ParsePlotData(
      "c.json", R"([{"actual": "7", "predicted": 7}, {"actual": "2", "extra": true, "n": null}])");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->fields, (std::vector<std::string>{"actual", "predicted", "extra", "n"}));
  EXPECT_EQ(table->rows[0][0].kind, PlotValue::Kind::kText);
  EXPECT_EQ(table->rows[0][1].kind, PlotValue::Kind::kNumber);
  EXPECT_EQ(table->rows[0][1].text, "7");
  EXPECT_TRUE(table->rows[1][1].is_missing());
  EXPECT_EQ(table->rows[1][2].text, "true");
  EXPECT_TRUE(table->rows[1][3].is_missing());
}

TEST(PlotDataTest, JsonObjectListsAreMergedRowByRow) {
  // As DVC's get_datapoints: every list of objects, nested ones too.
  auto table = ParsePlotData(
      "m.json", R"({"train": [{"loss": 1}, {"loss": 0.5}], "x": {"val": [{"acc": 0.1}]}})");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->fields, (std::vector<std::string>{"loss", "acc"}));
  ASSERT_EQ(table->rows.size(), 2u);
  EXPECT_EQ(table->rows[0][1].number, 0.1);
  EXPECT_TRUE(table->rows[1][1].is_missing());
}

TEST(PlotDataTest, JsonErrors) {
  EXPECT_EQ(Error("p.json", "[\n  {\"a\": 1},\n  {\"a\": }\n]"),
            "p.json:3:9: invalid JSON: syntax error while parsing value - unexpected '}'; "
            "expected '[', '{', or a literal");
  EXPECT_EQ(Error("p.json", "[1, 2]"), "p.json: expected a list of objects (one per data point)");
  EXPECT_EQ(Error("p.json", "{\"a\": 1}"),
            "p.json: found no list of objects (one per data point) in the file");
  EXPECT_EQ(Error("p.json", "3"), "p.json: expected a list of objects, got a number");
  EXPECT_EQ(Error("p.txt", "x"),
            "p.txt: unsupported plot data file type '.txt' (expected .json, .yaml, .yml, .csv "
            "or .tsv)");
}

TEST(PlotDataTest, YamlListOfMappings) {
  auto table = ParsePlotData("roc.yaml", "- fpr: 0\n  tpr: 0\n- fpr: 0.5\n  tpr: 0.9\n");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->fields, (std::vector<std::string>{"fpr", "tpr"}));
  EXPECT_EQ(table->rows[1][1].number, 0.9);
  EXPECT_NE(Error("roc.yml", "- a: [1\n").find("roc.yml:"), std::string::npos);
}

TEST(PlotDataTest, EmptyFilesHaveNoRows) {
  auto csv = ParsePlotData("e.csv", "");
  ASSERT_TRUE(csv.ok());
  EXPECT_TRUE(csv->rows.empty());
  auto json = ParsePlotData("e.json", "[]");
  ASSERT_TRUE(json.ok());
  EXPECT_TRUE(json->rows.empty());
}

TEST(PlotDataTest, ClassifiesByExtension) {
  EXPECT_EQ(ClassifyPlotFile("a/b.CSV"), PlotFileKind::kData);
  EXPECT_EQ(ClassifyPlotFile("x.yml"), PlotFileKind::kData);
  EXPECT_EQ(ClassifyPlotFile("plots/misclassified.png"), PlotFileKind::kImage);
  EXPECT_EQ(ClassifyPlotFile("a.JPEG"), PlotFileKind::kImage);
  EXPECT_EQ(ClassifyPlotFile("a.svg"), PlotFileKind::kImage);
  EXPECT_EQ(ClassifyPlotFile("dir.d/file"), PlotFileKind::kUnsupported);
  EXPECT_EQ(ClassifyPlotFile("notes.txt"), PlotFileKind::kUnsupported);
}

}  // namespace
}  // namespace conveyor
