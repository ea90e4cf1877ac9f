#include "pipeline/yaml_value.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>

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
    EXPECT_EQ(ConstructPlainScalar(c.text), c.expected) << "text: '" << c.text << "'";
  }
  EXPECT_TRUE(std::isinf(ConstructPlainScalar(".inf").get<double>()));
  EXPECT_LT(ConstructPlainScalar("-.Inf").get<double>(), 0);
  EXPECT_TRUE(std::isnan(ConstructPlainScalar(".nan").get<double>()));
  EXPECT_TRUE(ConstructPlainScalar("1e3").is_number_float());
  EXPECT_TRUE(ConstructPlainScalar("42").is_number_integer());
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
      // yaml-cpp's LoadAll yields empty documents from this forever (found by
      // fuzz/dvc_yaml_fuzz.cc): an error, not all of memory.
      {",stages:\n  s:\n    cmd: echo\n", "dvc.yaml:1:1: unexpected ','"},
      {",a\n b\n", "dvc.yaml:1:1: unexpected ','"},
  };
  for (const Case& c : cases) {
    auto doc = YamlDocument::Parse(c.text, "dvc.yaml");
    ASSERT_FALSE(doc.ok()) << c.text;
    EXPECT_EQ(doc.status().code(), Code::kInvalid);
    EXPECT_EQ(doc.status().message(), c.message);
  }
}

// As DVC's loader (ruamel.yaml typ="safe", YAML 1.2) types what DVC wrote.
TEST(YamlValueTest, TypesScalarsLikeDvcsSafeLoader) {
  auto result = YamlDocument::Parse(
      "a: [017, 0o17, 0x1F, 0b11, 1_000, +5, -0, 1.5e3, 1e5, .5, 1., 1_0.5, -.inf, yes, True, "
      "TRUE, ~, Null, '12', \"true\", 12:30, 0.1e-2, 18446744073709551615]\n"
      "b:\n"
      "c: |\n  text\n",
      "f.yaml");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const nlohmann::ordered_json& j = result->root();
  const nlohmann::ordered_json& a = j["a"];
  EXPECT_EQ(a[0], 17);
  EXPECT_EQ(a[1], 15);
  EXPECT_EQ(a[2], 31);
  EXPECT_EQ(a[3], 3);
  EXPECT_EQ(a[4], 1000);
  EXPECT_EQ(a[5], 5);
  EXPECT_EQ(a[6], 0);
  EXPECT_EQ(a[7], 1500.0);
  EXPECT_TRUE(a[7].is_number_float());
  EXPECT_EQ(a[8], 100000.0);
  EXPECT_EQ(a[9], 0.5);
  EXPECT_EQ(a[10], 1.0);
  EXPECT_EQ(a[11], 10.5);
  EXPECT_TRUE(std::isinf(a[12].get<double>()));
  EXPECT_EQ(a[13], "yes");
  EXPECT_EQ(a[14], true);
  EXPECT_EQ(a[15], true);
  EXPECT_TRUE(a[16].is_null());
  EXPECT_TRUE(a[17].is_null());
  EXPECT_EQ(a[18], "12");
  EXPECT_EQ(a[19], "true");
  EXPECT_EQ(a[20], "12:30");
  EXPECT_EQ(a[21], 0.001);
  EXPECT_EQ(a[22], 18446744073709551615ULL);
  EXPECT_TRUE(j["b"].is_null());
  EXPECT_EQ(j["c"], "text\n");
}

TEST(YamlValueTest, ReportsOutOfRangeIntegersWithLocation) {
  const YamlParseOptions exact{.reject_big_integers = true};
  EXPECT_EQ(
      YamlDocument::Parse("a:\n  b: 99999999999999999999\n", "p.yaml", exact).status().message(),
      "p.yaml:2:6: integer '99999999999999999999' is out of range");
}

TEST(YamlValueTest, ScalarTextKeepsTheSpelling) {
  auto doc = YamlDocument::Parse("a: 017\nb: 1.50\nc: 'x'\nd:\ne: [True]\nf: {g: 1}\n", "f.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->ScalarText("/a"), "017");
  EXPECT_EQ(doc->ScalarText("/b"), "1.50");
  EXPECT_EQ(doc->ScalarText("/c"), "x");
  EXPECT_EQ(doc->ScalarText("/e/0"), "True");
  EXPECT_EQ(doc->ScalarText("/d"), std::nullopt);
  EXPECT_EQ(doc->ScalarText("/f"), std::nullopt);
  EXPECT_EQ(doc->ScalarText("/nope"), std::nullopt);
  EXPECT_EQ(doc->ScalarText("no slash"), std::nullopt);
}

TEST(YamlValueTest, EmptyTellsAnEmptyStreamFromAnEmptyMapping) {
  EXPECT_TRUE(YamlDocument::Parse("", "f.yaml")->empty());
  EXPECT_TRUE(YamlDocument::Parse("null\n", "f.yaml")->empty());
  EXPECT_FALSE(YamlDocument::Parse("{}\n", "f.yaml")->empty());
}

TEST(YamlValueTest, BigIntegersAreDoublesUnlessRejected) {
  auto doc = YamlDocument::Parse("a: 99999999999999999999\n", "p.yaml");
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE(doc->root()["a"].is_number_float());
  EXPECT_EQ(doc->ScalarText("/a"), "99999999999999999999");
}

TEST(YamlValueTest, JsonPointerEscapesKeys) {
  EXPECT_EQ(JsonPointerChild("/outs", "data/a~b"), "/outs/data~1a~0b");
  EXPECT_EQ(JsonPointerChild("/outs", size_t{3}), "/outs/3");
}

}  // namespace
}  // namespace conveyor
