#include "plots/plot_spec.h"

#include <gtest/gtest.h>

#include <map>

namespace conveyor {
namespace {

// A source over an in-memory tree: `files` by project-relative path.
PlotSource FakeSource(std::map<std::string, std::string> files) {
  PlotSource source;
  source.read = [files](const std::string& path) -> Result<std::optional<std::string>> {
    auto it = files.find(path);
    if (it == files.end())
      return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  };
  source.list_dir = [files](const std::string& dir) -> std::optional<std::vector<std::string>> {
    std::vector<std::string> found;
    for (const auto& [path, content] : files) {
      if (path.starts_with(dir + "/"))
        found.push_back(path);
    }
    if (found.empty())
      return std::nullopt;
    return found;
  };
  return source;
}

std::vector<PlotSpec> Parse(const std::string& json, const std::string& dvcfile = "dvc.yaml",
                            const PlotSource& source = FakeSource({})) {
  Result<std::vector<PlotSpec>> specs = ParseTopLevelPlot(json, dvcfile, source);
  EXPECT_TRUE(specs.ok()) << specs.status().ToString();
  return specs.ok() ? *specs : std::vector<PlotSpec>{};
}

std::string ParseError(const std::string& json) {
  Result<std::vector<PlotSpec>> specs = ParseTopLevelPlot(json, "dvc.yaml", FakeSource({}));
  return specs.ok() ? "<ok>" : specs.status().message();
}

TEST(PlotSpecTest, PathStringHasDefaults) {
  auto specs = Parse(R"("logs/loss.csv")");
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].id, "logs/loss.csv");
  EXPECT_EQ(specs[0].files, (std::vector<std::string>{"logs/loss.csv"}));
  EXPECT_EQ(specs[0].tmpl, PlotTemplate::kLinear);
  EXPECT_TRUE(specs[0].x.empty());
  EXPECT_TRUE(specs[0].y.empty());
  EXPECT_FALSE(specs[0].image);
  EXPECT_EQ(specs[0].dvcfile, "dvc.yaml");
}

TEST(PlotSpecTest, DirectoryBecomesOnePlotPerFile) {
  PlotSource source = FakeSource({{"sub/plots/a.csv", ""}, {"sub/plots/b.png", ""}});
  auto specs = Parse(R"({"plots": {"template": "scatter"}})", "sub/dvc.yaml", source);
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_EQ(specs[0].id, "sub/plots/a.csv");
  EXPECT_EQ(specs[0].tmpl, PlotTemplate::kScatter);
  EXPECT_EQ(specs[1].id, "sub/plots/b.png");
  EXPECT_TRUE(specs[1].image);
}

TEST(PlotSpecTest, PathIdWithFieldOrListOfFields) {
  auto one = Parse(R"({"eval/roc.json": {"x": "fpr", "y": "tpr", "title": "ROC"}})");
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].y, (std::vector<FieldRef>{{"eval/roc.json", "tpr"}}));
  EXPECT_EQ(one[0].x, (std::vector<FieldRef>{{"", "fpr"}}));
  EXPECT_EQ(one[0].title, "ROC");

  auto list = Parse(R"({"logs.csv": {"y": ["loss", "val_loss"], "x_label": "epoch"}})");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].y, (std::vector<FieldRef>{{"logs.csv", "loss"}, {"logs.csv", "val_loss"}}));
  EXPECT_EQ(list[0].x_label, "epoch");
}

TEST(PlotSpecTest, NamedPlotWithFileMapping) {
  auto specs = Parse(
      R"({"train_vs_test": {"x": "step", "y": {"train.csv": "acc", "test.csv": ["acc", "f1"]},
          "template": "smooth"}})",
      "exp/dvc.yaml");
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].id, "train_vs_test");
  EXPECT_EQ(specs[0].files, (std::vector<std::string>{"exp/train.csv", "exp/test.csv"}));
  EXPECT_EQ(specs[0].y,
            (std::vector<FieldRef>{
                {"exp/train.csv", "acc"}, {"exp/test.csv", "acc"}, {"exp/test.csv", "f1"}}));
  EXPECT_EQ(specs[0].x, (std::vector<FieldRef>{{"", "step"}}));
  EXPECT_EQ(specs[0].tmpl, PlotTemplate::kSmooth);
}

TEST(PlotSpecTest, XMappingJoinsAnotherFile) {
  auto specs = Parse(R"({"roc": {"x": {"fpr.json": "fpr"}, "y": {"tpr.json": "tpr"}}})");
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].files, (std::vector<std::string>{"tpr.json", "fpr.json"}));
  EXPECT_EQ(specs[0].x, (std::vector<FieldRef>{{"fpr.json", "fpr"}}));
}

TEST(PlotSpecTest, MultipleIdsInOneEntryAndNullProps) {
  auto specs = Parse(R"({"a.csv": null, "b.csv": {"header": false}})");
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_TRUE(specs[0].header);
  EXPECT_FALSE(specs[1].header);
}

TEST(PlotSpecTest, ErrorsNameTheEntryAndTheProblem) {
  EXPECT_EQ(ParseError(R"({"a.csv": {"titel": "x"}})"),
            "dvc.yaml: plots entry 'a.csv': unknown plot property 'titel' (did you mean "
            "'title'?); known: template, x, y, title, x_label, y_label, header");
  EXPECT_EQ(ParseError(R"({"a.csv": {"template": "confuson"}})"),
            "dvc.yaml: plots entry 'a.csv': unknown plot template 'confuson' (did you mean "
            "'confusion'?); known: linear, simple, scatter, smooth, bar_horizontal, "
            "bar_horizontal_sorted, confusion, confusion_normalized");
  EXPECT_EQ(ParseError(R"({"a.csv": {"x": ["a", "b"]}})"),
            "dvc.yaml: plots entry 'a.csv': x: expected a field name or a mapping {file: "
            "field}, got list");
  EXPECT_EQ(ParseError(R"({"a.csv": {"y": 3}})"),
            "dvc.yaml: plots entry 'a.csv': y: expected a field name or a list of them, got "
            "number");
  EXPECT_EQ(
      ParseError(R"({"r": {"x": {"a.csv": "x", "b.csv": "x"}, "y": {"c.csv": ["p", "q", "r"]}}})"),
      "dvc.yaml: plots entry 'r': x names 2 fields but y names 3; give one x, or one per y");
  EXPECT_EQ(ParseError(R"({"a.csv": "linear"})"),
            "dvc.yaml: plots entry 'a.csv': expected a mapping of plot properties, got string");
  EXPECT_EQ(ParseError("[1]"),
            "dvc.yaml: plots entry: expected a path or a mapping {id: {properties}}, got list");
  EXPECT_EQ(ParseError(R"("../outside.csv")").substr(0, 35), "dvc.yaml: plots entry '../outside.c");
}

TEST(PlotSpecTest, StageOutputProps) {
  auto specs = PlotSpecsForOutput("plots/confusion.json",
                                  R"({"template":"confusion","x":"predicted","y":"actual"})",
                                  "dvc.yaml", FakeSource({}));
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  ASSERT_EQ(specs->size(), 1u);
  EXPECT_EQ((*specs)[0].tmpl, PlotTemplate::kConfusion);
  EXPECT_EQ((*specs)[0].y, (std::vector<FieldRef>{{"plots/confusion.json", "actual"}}));

  auto bad = PlotSpecsForOutput("p.csv", R"({"y":{"p.csv":"a"}})", "dvc.yaml", FakeSource({}));
  EXPECT_EQ(bad.status().message(),
            "dvc.yaml: plot output 'p.csv': y: a stage output's plot takes a field name or a "
            "list of them");
}

TEST(PlotSpecTest, OverridesReplaceWhatTheDefinitionSays) {
  PlotSpec spec = Parse(R"({"r": {"y": {"a.csv": "p", "b.csv": ["q", "r"]}}})")[0];
  PlotOverrides overrides;
  overrides.tmpl = PlotTemplate::kScatter;
  overrides.x = "epoch";
  overrides.y = "loss";
  overrides.title = "T";
  overrides.no_header = true;
  ApplyOverrides(overrides, &spec);
  EXPECT_EQ(spec.tmpl, PlotTemplate::kScatter);
  EXPECT_EQ(spec.x, (std::vector<FieldRef>{{"", "epoch"}}));
  EXPECT_EQ(spec.y, (std::vector<FieldRef>{{"a.csv", "loss"}, {"b.csv", "loss"}}));
  EXPECT_EQ(spec.title, "T");
  EXPECT_FALSE(spec.header);

  PlotSpec plain = Parse(R"("c.csv")")[0];
  ApplyOverrides(overrides, &plain);
  EXPECT_EQ(plain.y, (std::vector<FieldRef>{{"c.csv", "loss"}}));
}

TEST(PlotSpecTest, SelectByIdFileOrDirectory) {
  std::vector<PlotSpec> plots;
  for (const char* json :
       {R"("plots/a.csv")", R"("plots/b.json")", R"({"cmp": {"y": {"logs/x.csv": "v"}}})"}) {
    for (PlotSpec& spec : Parse(json))
      plots.push_back(spec);
  }
  PlotSource source = FakeSource({{"extra.csv", "a\n1\n"}});
  auto ids = [&](const std::vector<std::string>& targets) {
    Result<std::vector<PlotSpec>> selected = SelectPlots(plots, targets, source);
    if (!selected.ok())
      return std::vector<std::string>{selected.status().message()};
    std::vector<std::string> names;
    for (const PlotSpec& spec : *selected)
      names.push_back(spec.id);
    return names;
  };
  EXPECT_EQ(ids({}), (std::vector<std::string>{"plots/a.csv", "plots/b.json", "cmp"}));
  EXPECT_EQ(ids({"cmp"}), (std::vector<std::string>{"cmp"}));
  EXPECT_EQ(ids({"plots"}), (std::vector<std::string>{"plots/a.csv", "plots/b.json"}));
  EXPECT_EQ(ids({"logs/x.csv", "plots/b.json"}), (std::vector<std::string>{"plots/b.json", "cmp"}));
  EXPECT_EQ(ids({"extra.csv"}), (std::vector<std::string>{"extra.csv"}));
  EXPECT_EQ(ids({"cnp"}), (std::vector<std::string>{
                              "'cnp' is neither a plot defined in dvc.yaml nor a file (did you "
                              "mean 'cmp'?)"}));
}

TEST(PlotSpecTest, TemplateNamesRoundTrip) {
  for (const std::string& name : PlotTemplateNames()) {
    Result<PlotTemplate> tmpl = ParsePlotTemplate(name);
    ASSERT_TRUE(tmpl.ok());
    EXPECT_EQ(PlotTemplateName(*tmpl), name);
  }
}

}  // namespace
}  // namespace conveyor
