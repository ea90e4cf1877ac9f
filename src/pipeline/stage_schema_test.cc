#include "pipeline/stage_schema.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

TEST(StageSchemaTest, PythonTypeNames) {
  EXPECT_EQ(PythonTypeName(Json("x")), "str");
  EXPECT_EQ(PythonTypeName(Json(1)), "int");
  EXPECT_EQ(PythonTypeName(Json(1.5)), "float");
  EXPECT_EQ(PythonTypeName(Json(true)), "bool");
  EXPECT_EQ(PythonTypeName(Json::array()), "list");
  EXPECT_EQ(PythonTypeName(Json::object()), "dict");
  EXPECT_EQ(PythonTypeName(Json(nullptr)), "NoneType");
}

TEST(StageSchemaTest, AcceptsEveryDocumentedField) {
  auto doc = YamlDocument::Parse(R"(stages:
  s:
    cmd: [a, b]
    wdir: w
    deps: [d]
    params: [p, {f.yaml: [k]}, {g.yaml: }]
    outs: [o, {o2: {cache: false, persist: true, checkpoint: false, remote: r, push: false,
                    desc: d, type: model, labels: [x], meta: {a: 1}}}]
    metrics: [{m.json: {cache: false}}]
    plots: [{p.csv: {x: a, y: b, template: t, x_label: X, y_label: Y, title: T, header: true}}]
    frozen: false
    always_changed: true
    desc: d
    meta: anything
    vars: [f.yaml, {a: 1}]
  m:
    matrix: {a: [1, 2], b: "${list}"}
    cmd: x
  f:
    foreach: [1]
    do: {cmd: x}
)",
                                 "dvc.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_TRUE(CheckTopLevelSchema(*doc).ok());
  for (const char* name : {"s", "m", "f"}) {
    Status status = CheckStageSchema(*doc, std::string("/stages/") + name, name);
    EXPECT_TRUE(status.ok()) << status.ToString();
  }
}

TEST(StageSchemaTest, Rejects) {
  struct Case {
    const char* yaml;
    const char* message;
  };
  const Case cases[] = {
      {"stages:\n  s:\n    cmd: x\n    plots: [{p: {xx: a}}]\n",
       "dvc.yaml:4:18: stage 's': unknown key 'xx' (did you mean 'x'?)"},
      {"stages:\n  s:\n    cmd: x\n    outs: [{o: {x: a}}]\n",
       "dvc.yaml:4:17: stage 's': unknown key 'x'"},
      {"stages:\n  s:\n    cmd: x\n    outs: [{o: }]\n",
       "dvc.yaml:4:13: stage 's': 'outs' entry 'o' must be a mapping of flags, got NoneType"},
      {"stages:\n  s:\n    matrix: {a: 1}\n    cmd: x\n",
       "dvc.yaml:3:17: stage 's': 'matrix.a' must be a string or a list, got int"},
      {"stages:\n  s:\n    do: {cmd: x}\n",
       "dvc.yaml:2:3: stage 's': missing required key 'foreach'"},
      {"stages:\n  s: x\n", "dvc.yaml:2:6: stage 's': expected a mapping, got str"},
  };
  for (const Case& c : cases) {
    auto doc = YamlDocument::Parse(c.yaml, "dvc.yaml");
    ASSERT_TRUE(doc.ok()) << doc.status().ToString();
    EXPECT_EQ(CheckStageSchema(*doc, "/stages/s", "s").message(), c.message) << c.yaml;
  }
}

}  // namespace
}  // namespace conveyor
