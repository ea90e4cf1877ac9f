#include "plots/plot_figure.h"

#include <gtest/gtest.h>

namespace conveyor {
namespace {

PlotTable Table(std::string_view path, std::string_view csv) {
  Result<PlotTable> table = ParsePlotData(path, csv);
  EXPECT_TRUE(table.ok()) << table.status().ToString();
  return table.ok() ? *table : PlotTable{};
}

RevisionData Revision(std::string name, std::map<std::string, PlotTable> tables) {
  return RevisionData{std::move(name), std::move(tables)};
}

PlotSpec Spec(std::string id, std::vector<std::string> files) {
  PlotSpec spec;
  spec.id = std::move(id);
  spec.files = std::move(files);
  return spec;
}

std::vector<std::string> Labels(const Figure& figure) {
  std::vector<std::string> labels;
  for (const Series& series : figure.series)
    labels.push_back(series.label);
  return labels;
}

TEST(PlotFigureTest, DefaultsAreDvcs) {
  // No x: the row index, labelled "step"; no y: the last field of row 0.
  auto figure = BuildFigure(
      Spec("loss.csv", {"loss.csv"}),
      {Revision("workspace", {{"loss.csv", Table("loss.csv", "epoch,loss\n1,0.9\n2,0.4\n")}})});
  ASSERT_TRUE(figure.ok()) << figure.status().ToString();
  EXPECT_EQ(figure->title, "loss.csv");
  EXPECT_EQ(figure->x_label, "step");
  EXPECT_EQ(figure->y_label, "loss");
  ASSERT_EQ(figure->series.size(), 1u);
  EXPECT_EQ(figure->series[0].label, "loss");
  EXPECT_EQ(figure->series[0].x[1].number, 1);
  EXPECT_EQ(figure->series[0].y[1].number, 0.4);
}

TEST(PlotFigureTest, SeveralFieldsAndFiles) {
  PlotSpec spec = Spec("cmp", {"logs/train.csv", "logs/test.csv"});
  spec.y = {{"logs/train.csv", "acc"}, {"logs/test.csv", "acc"}};
  spec.x = {{"", "epoch"}};
  spec.title = "Accuracy";
  auto figure = BuildFigure(
      spec, {Revision("workspace", {{"logs/train.csv", Table("a.csv", "epoch,acc\n1,0.5\n")},
                                    {"logs/test.csv", Table("b.csv", "epoch,acc\n1,0.4\n")}})});
  ASSERT_TRUE(figure.ok()) << figure.status().ToString();
  EXPECT_EQ(Labels(*figure), (std::vector<std::string>{"train.csv: acc", "test.csv: acc"}));
  EXPECT_EQ(figure->title, "Accuracy");
  EXPECT_EQ(figure->x_label, "epoch");
  EXPECT_EQ(figure->y_label, "acc");

  PlotSpec two = Spec("l.csv", {"l.csv"});
  two.y = {{"l.csv", "loss"}, {"l.csv", "val_loss"}};
  auto fields = BuildFigure(
      two, {Revision("workspace", {{"l.csv", Table("l.csv", "loss,val_loss\n1,2\n")}})});
  ASSERT_TRUE(fields.ok());
  EXPECT_EQ(Labels(*fields), (std::vector<std::string>{"loss", "val_loss"}));
  EXPECT_EQ(fields->y_label, "y");
}

TEST(PlotFigureTest, RevisionsBecomeSeries) {
  PlotSpec spec = Spec("l.csv", {"l.csv"});
  PlotTable table = Table("l.csv", "loss\n1\n0.5\n");
  auto one_y = BuildFigure(
      spec, {Revision("HEAD", {{"l.csv", table}}), Revision("workspace", {{"l.csv", table}}),
             Revision("old", {})});  // lacks the file: skipped
  ASSERT_TRUE(one_y.ok());
  EXPECT_EQ(Labels(*one_y), (std::vector<std::string>{"HEAD", "workspace"}));

  spec.y = {{"l.csv", "loss"}, {"l.csv", "loss"}};
  auto two_y = BuildFigure(
      spec, {Revision("main", {{"l.csv", table}}), Revision("workspace", {{"l.csv", table}})});
  ASSERT_TRUE(two_y.ok());
  EXPECT_EQ(Labels(*two_y)[0], "main: loss");
}

TEST(PlotFigureTest, XFromAnotherFileIsJoinedByRow) {
  PlotSpec spec = Spec("roc", {"tpr.csv", "fpr.csv"});
  spec.y = {{"tpr.csv", "tpr"}};
  spec.x = {{"fpr.csv", "fpr"}};
  auto figure =
      BuildFigure(spec, {Revision("workspace", {{"tpr.csv", Table("t.csv", "tpr\n0\n1\n")},
                                                {"fpr.csv", Table("f.csv", "fpr\n0\n0.5\n")}})});
  ASSERT_TRUE(figure.ok()) << figure.status().ToString();
  EXPECT_EQ(figure->series[0].x[1].number, 0.5);
  EXPECT_EQ(figure->x_label, "fpr");

  auto mismatch =
      BuildFigure(spec, {Revision("workspace", {{"tpr.csv", Table("t.csv", "tpr\n0\n1\n")},
                                                {"fpr.csv", Table("f.csv", "fpr\n0\n")}})});
  EXPECT_EQ(mismatch.status().message(),
            "cannot join x 'fpr' from fpr.csv (1 rows) with y 'tpr' from tpr.csv (2 rows); they "
            "must have the same number of rows");
}

TEST(PlotFigureTest, Errors) {
  PlotSpec spec = Spec("p.csv", {"p.csv"});
  spec.y = {{"p.csv", "precison"}};
  auto missing_field = BuildFigure(
      spec, {Revision("workspace", {{"p.csv", Table("p.csv", "class,precision\n0,1\n")}})});
  EXPECT_EQ(missing_field.status().message(),
            "p.csv: no field 'precison' (did you mean 'precision'?); the file has: class, "
            "precision");

  auto missing_file = BuildFigure(spec, {Revision("workspace", {})});
  EXPECT_EQ(missing_file.status().code(), Code::kNotFound);
  EXPECT_EQ(missing_file.status().message(), "p.csv: file not found");

  auto empty = BuildFigure(Spec("e.csv", {"e.csv"}),
                           {Revision("workspace", {{"e.csv", Table("e.csv", "a,b\n")}})});
  EXPECT_EQ(empty.status().message(), "e.csv: no data points");
}

TEST(PlotFigureTest, ConfusionTakesOnePairPerRevision) {
  PlotSpec spec = Spec("c.json", {"c.json"});
  spec.tmpl = PlotTemplate::kConfusion;
  spec.x = {{"", "predicted"}};
  spec.y = {{"c.json", "actual"}};
  PlotTable table = Table("c.json", R"([{"actual": 1, "predicted": 2}])");
  auto figure =
      BuildFigure(spec, {Revision("a", {{"c.json", table}}), Revision("b", {{"c.json", table}})});
  ASSERT_TRUE(figure.ok());
  EXPECT_EQ(Labels(*figure), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(figure->x_label, "predicted");
  EXPECT_EQ(figure->y_label, "actual");
}

}  // namespace
}  // namespace conveyor
