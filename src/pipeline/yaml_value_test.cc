#include "pipeline/yaml_value.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

struct ScalarCase {
  const char* text;
  Json expected;
};

// ruamel.yaml's YAML 1.2 resolver, as DVC loads dvc.yaml and params.yaml.
TEST(YamlValueTest, PlainScalarsFollowYaml12CoreSchema) {
  const ScalarCase cases[] = {
      {"true", Json(true)},      {"True", Json(true)},
      {"FALSE", Json(false)},    {"yes", Json("yes")},
      {"no", Json("no")},        {"on", Json("on")},
      {"off", Json("off")},      {"y", Json("y")},
      {"null", Json(nullptr)},   {"~", Json(nullptr)},
      {"", Json(nullptr)},       {"NULL", Json(nullptr)},
      {"nil", Json("nil")},      {"42", Json(42)},
      {"-7", Json(-7)},          {"+7", Json(7)},
      {"1_000", Json(1000)},     {"0x1F", Json(31)},
      {"0o17", Json(15)},        {"017", Json(17)},
      {"0b101", Json(5)},        {"1.5", Json(1.5)},
      {"1.", Json(1.0)},         {".5", Json(0.5)},
      {"1e3", Json(1000.0)},     {"1.5e-3", Json(0.0015)},
      {"-2E+2", Json(-200.0)},   {"0.1", Json(0.1)},
      {"1_000.5", Json(1000.5)}, {".1e3", Json(".1e3")},
      {"1e", Json("1e")},        {"2023-01-01", Json("2023-01-01")},
      {"0x", Json("0x")},        {"abc", Json("abc")},
      {"1.2.3", Json("1.2.3")},
  };
  for (const ScalarCase& c : cases) {
    EXPECT_EQ(ResolvePlainScalar(c.text), c.expected) << "text: '" << c.text << "'";
  }
  EXPECT_TRUE(std::isinf(ResolvePlainScalar(".inf").get<double>()));
  EXPECT_LT(ResolvePlainScalar("-.Inf").get<double>(), 0);
  EXPECT_TRUE(std::isnan(ResolvePlainScalar(".nan").get<double>()));
  EXPECT_TRUE(ResolvePlainScalar("1e3").is_number_float());
  EXPECT_TRUE(ResolvePlainScalar("42").is_number_integer());
}

TEST(YamlValueTest, QuotedAndTaggedScalars) {
  auto doc = YamlDocument::Parse(
      "a: '2.0'\nb: \"true\"\nc: |\n  5\nd: !!str 7\ne: !!float 3\nf: yes\ng:\n", "p.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->root(), Json::parse(R"({"a":"2.0","b":"true","c":"5\n","d":"7","e":3.0,
                                         "f":"yes","g":null})"));
}

TEST(YamlValueTest, KeepsOrderNestingAndPositions) {
  auto doc = YamlDocument::Parse("z: 1\na:\n  - x\n  - {k: v}\n", "dvc.yaml");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->root().dump(), R"({"z":1,"a":["x",{"k":"v"}]})");
  EXPECT_EQ(doc->Where("/a").ToString(), "dvc.yaml:3:3");
  EXPECT_EQ(doc->KeyWhere("/a").ToString(), "dvc.yaml:2:1");
  EXPECT_EQ(doc->Where("/a/1/k").ToString(), "dvc.yaml:4:9");
  EXPECT_EQ(doc->Where("/a/9").ToString(), "dvc.yaml:3:3");  // nearest ancestor
}

TEST(YamlValueTest, EmptyDocumentIsEmptyMapping) {
  for (const char* text : {"", "# only a comment\n", "null\n"}) {
    auto doc = YamlDocument::Parse(text, "params.yaml");
    ASSERT_TRUE(doc.ok());
    EXPECT_EQ(doc->root(), Json::object()) << text;
  }
}

TEST(YamlValueTest, MergeKeysAndAnchors) {
  auto doc = YamlDocument::Parse("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n", "f.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->root()["d"], Json::parse(R"({"y":3,"x":1})"));
}

TEST(YamlValueTest, Errors) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"a: [1, 2\nb: 3", "dvc.yaml:2:2: end of sequence flow not found"},
      {"a: 1\nb: 2\na: 3\n", "dvc.yaml:3:1: found duplicate key \"a\""},
      {"a: !Ref x\n", "dvc.yaml:1:4: could not determine a constructor for the tag '!Ref'"},
      {"a: !!int x\n", "dvc.yaml:1:4: cannot read 'x' as !!int"},
      {"a: 1\n---\nb: 2\n", "dvc.yaml:3:1: expected a single document in the stream"},
  };
  for (const Case& c : cases) {
    auto doc = YamlDocument::Parse(c.text, "dvc.yaml");
    ASSERT_FALSE(doc.ok()) << c.text;
    EXPECT_EQ(doc.status().code(), Code::kInvalid);
    EXPECT_EQ(doc.status().message(), c.message);
  }
}

TEST(YamlValueTest, JsonPointerEscapesKeys) {
  EXPECT_EQ(JsonPointerChild("/outs", "data/a~b"), "/outs/data~1a~0b");
  EXPECT_EQ(JsonPointerChild("/outs", size_t{3}), "/outs/3");
}

}  // namespace
}  // namespace conveyor
