#include "pipeline/interpolate.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace conveyor {
namespace {

using Json = nlohmann::ordered_json;

Context MakeContext() {
  Context context;
  Status status = context.MergeInline(Json::parse(R"({
    "lr": 0.001, "epochs": 10, "big": 1000.0, "tiny": 0.00001, "on": true, "off": false,
    "none": null, "name": "model", "models": {"us": {"thresh": 10}},
    "list": ["a", "b"], "args": {"lr": 0.1, "verbose": true, "quiet": false,
    "name": "x y", "layers": [1, 2], "opt": {"beta": 0.9}}})"),
                                      "vars[0]");
  EXPECT_TRUE(status.ok()) << status.ToString();
  return context;
}

struct Case {
  const char* input;
  std::string_view field;
  Json expected;
};

TEST(InterpolateTest, ResolvesLikeDvc) {
  const Context context = MakeContext();
  const Case cases[] = {
      {"${epochs}", "cmd", Json(10)},  // exactly one ${}: keeps its type
      {"${lr}", "outs", Json(0.001)},
      {"${on}", "frozen", Json(true)},
      {"${none}", "cmd", Json(nullptr)},
      {"e${epochs}", "cmd", Json("e10")},
      {"--lr ${lr} --big ${big} --tiny ${tiny}", "cmd",
       Json("--lr 0.001 --big 1000.0 --tiny 1e-05")},
      {"${on}/${off}/${none}", "cmd", Json("true/false/None")},
      {"${models.us.thresh}", "cmd", Json(10)},
      {"${models[us][thresh]}", "cmd", Json(10)},
      {"${list[1]} ${list.0} ${list[-1]}", "cmd", Json("b a b")},
      {"${ name }", "cmd", Json("model")},
      {"\\${name} ${name}", "cmd", Json("${name} model")},
      {"no templates \\${x}", "cmd", Json("no templates ${x}")},
      {"${list}", "", Json::parse(R"(["a","b"])")},  // foreach data: whole lists
      {"${list}", "foreach", Json::parse(R"(["a","b"])")},
      {"python train.py ${args}", "cmd",
       Json("python train.py --lr 0.1 --verbose --name 'x y' --layers 1 2 --opt.beta 0.9")},
      {"${name", "cmd", Json("${name")},
  };
  for (const Case& c : cases) {
    auto resolved = ResolveString(c.input, context, c.field, InterpolateOptions{});
    ASSERT_TRUE(resolved.ok()) << c.input << ": " << resolved.status().ToString();
    EXPECT_EQ(*resolved, c.expected) << c.input;
  }
}

TEST(InterpolateTest, DictFlagsFollowParsingConfig) {
  Json args = Json::parse(R"({"verbose": true, "quiet": false, "files": ["a b", "c"],
                              "flags": [true, null, 1.5], "empty": []})");
  EXPECT_EQ(DictToFlags(args, {}).value(), "--verbose --files 'a b' c --flags True None 1.5");
  InterpolateOptions options;
  options.bool_flags = InterpolateOptions::BoolFlags::kBooleanOptional;
  options.list_flags = InterpolateOptions::ListFlags::kAppend;
  EXPECT_EQ(DictToFlags(args, options).value(),
            "--verbose --no-quiet --files 'a b' --files c --flags True --flags None --flags 1.5");
  auto nested = DictToFlags(Json::parse(R"({"list": [1, [2, 3]]})"), {});
  EXPECT_EQ(nested.status().message(), "Cannot interpolate nested iterable in 'list'");
}

TEST(InterpolateTest, ShellQuoteIsShlexQuote) {
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("a-b_c/d.e:f,g@h%i+j=k"), "a-b_c/d.e:f,g@h%i+j=k");
  EXPECT_EQ(ShellQuote("it's"), "'it'\"'\"'s'");
  EXPECT_EQ(ShellQuote("$HOME"), "'$HOME'");
}

TEST(InterpolateTest, Errors) {
  const Context context = MakeContext();
  struct ErrorCase {
    const char* input;
    std::string_view field;
    const char* message;
  };
  const ErrorCase cases[] = {
      {"${missing}", "cmd", "Could not find 'missing'"},
      {"${lrr}", "cmd", "Could not find 'lrr' (did you mean 'lr'?)"},
      {"${models[foobar]}", "wdir", "Could not find 'models.foobar'"},
      {"${models}", "outs", "Cannot interpolate data of type 'dict'"},
      {"${list}", "deps", "Cannot interpolate data of type 'list'"},
      {"x ${list}", "cmd", "Cannot interpolate data of type 'list'"},
      {"${name.x}", "cmd", "Could not find 'name.x' (did you mean 'name'?)"},
      {"${models.us.}", "cmd",
       "invalid expression '${models.us.}': expected end of text, found '.' (at char 11)"},
      {"${}", "cmd", "invalid expression '${}': expected a name, found end of text (at char 2)"},
      {"${a]}", "cmd", "invalid expression '${a]}': expected end of text, found ']' (at char 3)"},
  };
  for (const ErrorCase& c : cases) {
    auto resolved = ResolveString(c.input, context, c.field, InterpolateOptions{});
    ASSERT_FALSE(resolved.ok()) << c.input;
    EXPECT_EQ(resolved.status().message(), c.message) << c.input;
  }
}

TEST(InterpolateTest, ResolveValueReportsWhere) {
  const Context context = MakeContext();
  std::string failed;
  auto resolved = ResolveValue(Json::parse(R"(["${name}", {"${name}.pkl": {"x": "${nope}"}}])"),
                               context, "outs", InterpolateOptions{}, &failed);
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(failed, "/1/${name}.pkl/x");
  auto ok = ResolveValue(Json::parse(R"(["${name}", {"${name}.pkl": {"cache": "${off}"}}])"),
                         context, "outs", InterpolateOptions{});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->dump(), R"(["model",{"model.pkl":{"cache":false}}])");
  std::string bad;
  EXPECT_FALSE(CheckExpressions(Json::parse(R"({"a": ["ok", "${x..y}"]})"), &bad).ok());
  EXPECT_EQ(bad, "/a/1");
}

}  // namespace
}  // namespace conveyor
