#include "pipeline/yaml_emit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "pipeline/yaml_value.h"

namespace conveyor {
namespace {

#define ASSERT_OK_AND_EQ(expr, expected)                      \
  do {                                                        \
    auto result_ = (expr);                                    \
    ASSERT_TRUE(result_.ok()) << result_.status().ToString(); \
    EXPECT_EQ(*result_, expected);                            \
  } while (false)

// The golden YAML below was produced by ruamel.yaml 0.17.21 (Debian 12's
// python3-ruamel.yaml) configured exactly as DVC's _get_yaml() does:
// YAML(), default_flow_style = False, OrderedDict represented as dict.

TEST(EmitDvcYamlTest, QuotingOfStrings) {
  const auto doc = nlohmann::ordered_json::parse(
      R"__({"k": ["abc", "2.0", "1", "true", "True", "yes", "no", "on", "off", "null", "Null", "~", "", "a: b", "a #b", "a#b", "#a", "-a", "- a", "-", "?a", "? a", ":a", "a:", "@a", "`a", "!a", "&a", "*a", "|a", ">a", "%a", "'a", "\"a", "a'b", "a\"b", "[a", "{a", "]a", "}a", ",a", "a,b", "a\tb", "a\nb", "a\u0001b", "a\u007fb", "\u00e9t\u00e9", "\u2028x", "a\u2029b", "a\u0085b", "\ufeffa", "\ud83d\ude00", "x\ud83d\ude00\n", " a", "a ", "1e5", "1.5e-3", "0x1F", "0o17", "0b101", "017", ".inf", "-.Inf", ".nan", "1_000", "12:30", "2020-01-01", "2020-1-1 10:00:00", "a b", "=", "<<", ".5", "+1", "-1", "1.", "0.1", "a\\b", "%", "a%", "---", "...", "--- a", "a---", "a\\", "\u0000", "tab\tin \"q\" and 's'", "a  b", "a\n\nb\n"]})__");
  ASSERT_OK_AND_EQ(EmitDvcYaml(doc),
                   "k:\n"
                   "- abc\n"
                   "- '2.0'\n"
                   "- '1'\n"
                   "- 'true'\n"
                   "- 'True'\n"
                   "- yes\n"
                   "- no\n"
                   "- on\n"
                   "- off\n"
                   "- 'null'\n"
                   "- 'Null'\n"
                   "- '~'\n"
                   "- ''\n"
                   "- 'a: b'\n"
                   "- 'a #b'\n"
                   "- a#b\n"
                   "- '#a'\n"
                   "- -a\n"
                   "- '- a'\n"
                   "- '-'\n"
                   "- ?a\n"
                   "- '? a'\n"
                   "- :a\n"
                   "- 'a:'\n"
                   "- '@a'\n"
                   "- '`a'\n"
                   "- '!a'\n"
                   "- '&a'\n"
                   "- '*a'\n"
                   "- '|a'\n"
                   "- '>a'\n"
                   "- '%a'\n"
                   "- \"'a\"\n"
                   "- '\"a'\n"
                   "- a'b\n"
                   "- a\"b\n"
                   "- '[a'\n"
                   "- '{a'\n"
                   "- ']a'\n"
                   "- '}a'\n"
                   "- ',a'\n"
                   "- a,b\n"
                   "- \"a\\tb\"\n"
                   "- \"a\\nb\"\n"
                   "- \"a\\x01b\"\n"
                   "- \"a\\x7Fb\"\n"
                   "- \303\251t\303\251\n"
                   "- '\342\200\250  x'\n"
                   "- 'a\342\200\251  b'\n"
                   "- 'a\302\205  b'\n"
                   "- \"\\uFEFFa\"\n"
                   "- \360\237\230\200\n"
                   "- \"x\\U0001F600\\n\"\n"
                   "- ' a'\n"
                   "- 'a '\n"
                   "- '1e5'\n"
                   "- '1.5e-3'\n"
                   "- '0x1F'\n"
                   "- '0o17'\n"
                   "- '0b101'\n"
                   "- '017'\n"
                   "- '.inf'\n"
                   "- '-.Inf'\n"
                   "- '.nan'\n"
                   "- '1_000'\n"
                   "- 12:30\n"
                   "- '2020-01-01'\n"
                   "- '2020-1-1 10:00:00'\n"
                   "- a b\n"
                   "- '='\n"
                   "- '<<'\n"
                   "- '.5'\n"
                   "- '+1'\n"
                   "- '-1'\n"
                   "- '1.'\n"
                   "- '0.1'\n"
                   "- a\\b\n"
                   "- '%'\n"
                   "- a%\n"
                   "- '---'\n"
                   "- '...'\n"
                   "- '--- a'\n"
                   "- a---\n"
                   "- a\\\n"
                   "- \"\\0\"\n"
                   "- \"tab\\tin \\\"q\\\" and 's'\"\n"
                   "- a  b\n"
                   "- \"a\\n\\nb\\n\"\n"
                   "");
}

TEST(EmitDvcYamlTest, NumbersBoolsNullAndEmpties) {
  const auto doc = nlohmann::ordered_json::parse(
      R"__({"floats": [0.1, 1e-05, 1e+20, 1.0, 100.0, 1e+16, 1000000000000000.0, 123456789.123, -0.0, 2.5e-07, 3.14, 0.0001, 1.7976931348623157e+308, 5e-324, -1.5], "ints": [0, -5, 9223372036854775807, -9223372036854775808, 18446744073709551615], "b": [true, false], "n": null, "ln": [null, 1], "el": [], "ed": {}})__");
  ASSERT_OK_AND_EQ(EmitDvcYaml(doc), R"__(floats:
- 0.1
- 1e-05
- 1e+20
- 1.0
- 100.0
- 1e+16
- 1000000000000000.0
- 123456789.123
- -0.0
- 2.5e-07
- 3.14
- 0.0001
- 1.7976931348623157e+308
- 5e-324
- -1.5
ints:
- 0
- -5
- 9223372036854775807
- -9223372036854775808
- 18446744073709551615
b:
- true
- false
n:
ln:
- 
- 1
el: []
ed: {}
)__");
}

TEST(EmitDvcYamlTest, NestedCollections) {
  const auto doc = nlohmann::ordered_json::parse(
      R"__({"a": [[1, 2], [[3]], [], {}, [{}], [{"x": []}], {"k": {"j": 1}}, [null], "x"], "b": {"c": [{"d": [1, {"e": null}]}]}, "": 3, "1": 4, "a b": 5, "p: q": 6, "'q": 7, "k\u00e9y": 8, "true": 9, "-": 10})__");
  ASSERT_OK_AND_EQ(EmitDvcYaml(doc), R"__(a:
- - 1
  - 2
- - - 3
- []
- {}
- - {}
- - x: []
- k:
    j: 1
- - 
- x
b:
  c:
  - d:
    - 1
    - e:
'': 3
'1': 4
a b: 5
'p: q': 6
"'q": 7
kéy: 8
'true': 9
'-': 10
)__");
}

TEST(EmitDvcYamlTest, FoldsLongScalarsAtWidth80) {
  const auto doc = nlohmann::ordered_json::parse(
      R"__({"stages": {"train": {"cmd": "python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate 0.001 --seed 42 --verbose", "l": ["python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate 0.001 --seed 42 --verbose", {"path": "python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate 0.001 --seed 42 --verbose", "x": ["python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate 0.001 --seed 42 --verbose"]}], "q": "python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate 0.001 --seed 42 --verbose it's", "e": "#python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate 0.001 --seed 42 --verbose", "sq": "'python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate 0.001 --seed 42 --verbose x", "dq": "python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate 0.001 --seed 42 --verbose\ttab python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate 0.001 --seed 42 --verbose", "two": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  b c", "uni": "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9 xx yy", "nospace": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "sk": [["python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate 0.001 --seed 42 --verbose"]], "esc": "a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001a\u0001", "dqsp": "\nword word word word word word word word word word word word word word word word word word word word word word word word word word word word word word "}}})__");
  ASSERT_OK_AND_EQ(EmitDvcYaml(doc), R"__(stages:
  train:
    cmd: python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate
      0.001 --seed 42 --verbose
    l:
    - python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate
      0.001 --seed 42 --verbose
    - path: python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate
        0.001 --seed 42 --verbose
      x:
      - python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate
        0.001 --seed 42 --verbose
    q: python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate
      0.001 --seed 42 --verbose it's
    e: '#python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate
      0.001 --seed 42 --verbose'
    sq: "'python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate\
      \ 0.001 --seed 42 --verbose x"
    dq: "python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate\
      \ 0.001 --seed 42 --verbose\ttab python train.py --data data/prepared --out\
      \ model.pkl --epochs 10 --learning-rate 0.001 --seed 42 --verbose"
    two: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  b
      c
    uni: éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé
      xx yy
    nospace: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
    sk:
    - - python train.py --data data/prepared --out model.pkl --epochs 10 --learning-rate
        0.001 --seed 42 --verbose
    esc: "a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01\
      a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01\
      a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01a\x01\
      a\x01a\x01a\x01a\x01a\x01"
    dqsp: "\nword word word word word word word word word word word word word word\
      \ word word word word word word word word word word word word word word word\
      \ word "
)__");
}

TEST(EmitDvcYamlTest, TopLevelSequence) {
  const auto doc = nlohmann::ordered_json::parse(R"__([1, "a", {"k": "v"}])__");
  ASSERT_OK_AND_EQ(EmitDvcYaml(doc), R"__(- 1
- a
- k: v
)__");
}

TEST(EmitDvcYamlTest, EmptyRootMapping) {
  const auto doc = nlohmann::ordered_json::parse(R"__({})__");
  ASSERT_OK_AND_EQ(EmitDvcYaml(doc), R"__({}
)__");
}

TEST(FormatPythonFloatTest, MatchesPythonRepr) {
  EXPECT_EQ(FormatPythonFloat(0.1), "0.1");
  EXPECT_EQ(FormatPythonFloat(1e-05), "1e-05");
  EXPECT_EQ(FormatPythonFloat(0.0001), "0.0001");
  EXPECT_EQ(FormatPythonFloat(1e16), "1e+16");
  EXPECT_EQ(FormatPythonFloat(1e15), "1000000000000000.0");
  EXPECT_EQ(FormatPythonFloat(1.0), "1.0");
  EXPECT_EQ(FormatPythonFloat(-0.0), "-0.0");
  EXPECT_EQ(FormatPythonFloat(1.5e300), "1.5e+300");
  EXPECT_EQ(FormatPythonFloat(123.456), "123.456");
  EXPECT_EQ(FormatPythonFloat(std::numeric_limits<double>::infinity()), ".inf");
  EXPECT_EQ(FormatPythonFloat(-std::numeric_limits<double>::infinity()), "-.inf");
  EXPECT_EQ(FormatPythonFloat(std::numeric_limits<double>::quiet_NaN()), ".nan");
}

TEST(EmitDvcYamlTest, RejectsKeysRuamelWritesAsExplicitKeys) {
  nlohmann::ordered_json doc;
  doc[std::string(128, 'k')] = 1;
  auto result = EmitDvcYaml(doc);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "mapping key 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk' is too long or spans lines; "
            "DVC would write it as an explicit '? ' key, which is not supported");
  doc = nlohmann::ordered_json::object();
  doc[std::string(127, 'k')] = 1;
  EXPECT_TRUE(EmitDvcYaml(doc).ok());
}

TEST(EmitDvcYamlTest, RejectsInvalidUtf8AndScalarRoots) {
  nlohmann::ordered_json doc;
  doc["k"] = std::string("\xff");
  EXPECT_EQ(EmitDvcYaml(doc).status().message(), "string value is not valid UTF-8");
  EXPECT_EQ(EmitDvcYaml(nlohmann::ordered_json(1)).status().message(),
            "YAML document root must be a mapping or a sequence");
}

// What the emitter writes, YamlDocument reads back as the same value.
TEST(EmitDvcYamlTest, RoundTripsThroughYamlDocument) {
  const std::string text =
      "schema: '2.0'\n"
      "list:\n"
      "- 1\n"
      "- '1'\n"
      "- 0.001\n"
      "- true\n"
      "- 'true'\n"
      "- \n"
      "- a b\n"
      "nested:\n"
      "  k: []\n"
      "  m: {}\n";
  auto parsed = YamlDocument::Parse(text, "x");
  ASSERT_TRUE(parsed.ok());
  ASSERT_OK_AND_EQ(EmitDvcYaml(parsed->root()), text);
}

}  // namespace
}  // namespace conveyor
