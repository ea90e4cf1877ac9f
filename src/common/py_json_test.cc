#include "common/py_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace conveyor {
namespace {

// Every expected string below was printed by Debian's /usr/bin/python3
// (CPython 3.11.2) with json.dumps(obj, sort_keys=True) or repr().

std::string Dumps(const nlohmann::ordered_json& value) {
  Result<std::string> out = PyJsonDumps(value);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : "<error>";
}

TEST(PyFloatReprTest, MatchesCPythonRepr) {
  EXPECT_EQ(PyFloatRepr(0.1), "0.1");
  EXPECT_EQ(PyFloatRepr(1e-05), "1e-05");
  EXPECT_EQ(PyFloatRepr(1e+20), "1e+20");
  EXPECT_EQ(PyFloatRepr(1.0), "1.0");
  EXPECT_EQ(PyFloatRepr(-0.0), "-0.0");
  EXPECT_EQ(PyFloatRepr(1e16), "1e+16");
  EXPECT_EQ(PyFloatRepr(1e15), "1000000000000000.0");
  EXPECT_EQ(PyFloatRepr(123456789.125), "123456789.125");
  EXPECT_EQ(PyFloatRepr(0.0001), "0.0001");
  EXPECT_EQ(PyFloatRepr(2.5e-10), "2.5e-10");
  EXPECT_EQ(PyFloatRepr(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(PyFloatRepr(5e-324), "5e-324");
  EXPECT_EQ(PyFloatRepr(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(PyFloatRepr(100.0), "100.0");
  EXPECT_EQ(PyFloatRepr(12345678901234567.0), "1.2345678901234568e+16");
  EXPECT_EQ(PyFloatRepr(-1.5), "-1.5");
  EXPECT_EQ(PyFloatRepr(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(PyFloatRepr(std::nan("")), "nan");
}

TEST(PyJsonDumpsTest, NonFiniteFloats) {
  nlohmann::ordered_json list =
      nlohmann::ordered_json::array({std::numeric_limits<double>::infinity(),
                                     -std::numeric_limits<double>::infinity(), std::nan("")});
  EXPECT_EQ(Dumps(list), "[Infinity, -Infinity, NaN]");
}

TEST(PyJsonDumpsTest, NestedObjectWithSortedKeysAndEscapes) {
  nlohmann::ordered_json obj;
  obj["b"] = {1, 2.5, true, false, nullptr};
  obj["a"] = "\xc3\xa9\xf0\x9f\x98\x80\"\\\n\r\t\b\f\x01\x7f/";
  obj["\xc3\xa9"] = {{"z", nlohmann::ordered_json::object()},
                     {"y", nlohmann::ordered_json::array()}};
  obj["Z"] = -3;
  obj["big"] = uint64_t{18446744073709551615u};
  obj["neg"] = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(Dumps(obj), R"({"Z": -3, "a": "\u00e9\ud83d\ude00\"\\\n\r\t\b\f\u0001\u007f/", )"
                        R"("b": [1, 2.5, true, false, null], "big": 18446744073709551615, )"
                        R"("neg": -9223372036854775808, "\u00e9": {"y": [], "z": {}}})");
}

TEST(PyJsonDumpsTest, KeysSortByCodePoint) {
  // {"\U0001F600": 1, "\uffff": 2, "a": 3, "\u00e9": 4}
  nlohmann::json obj = {{"\xf0\x9f\x98\x80", 1}, {"\xef\xbf\xbf", 2}, {"a", 3}, {"\xc3\xa9", 4}};
  Result<std::string> out = PyJsonDumps(obj);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, R"({"a": 3, "\u00e9": 4, "\uffff": 2, "\ud83d\ude00": 1})");
}

TEST(PyJsonDumpsTest, Scalars) {
  EXPECT_EQ(Dumps(nullptr), "null");
  EXPECT_EQ(Dumps(true), "true");
  EXPECT_EQ(Dumps(0), "0");
  EXPECT_EQ(Dumps(0.5), "0.5");
  EXPECT_EQ(Dumps(""), "\"\"");
  EXPECT_EQ(Dumps(nlohmann::ordered_json::array()), "[]");
  EXPECT_EQ(Dumps(nlohmann::ordered_json::object()), "{}");
}

TEST(PyJsonDumpsTest, InvalidUtf8IsAnError) {
  for (const char* bad : {"ab\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    Result<std::string> out = PyJsonDumps(nlohmann::json(std::string(bad)));
    ASSERT_FALSE(out.ok()) << bad;
    EXPECT_EQ(out.status().code(), Code::kInvalid);
  }
  Result<std::string> out = PyJsonDumps(nlohmann::json(std::string("ab\xff")));
  EXPECT_EQ(out.status().message(), "invalid UTF-8 at byte 2 of \"ab\"");
}

TEST(PyJsonDumpsTest, BinaryIsAnError) {
  Result<std::string> out = PyJsonDumps(nlohmann::json::binary({1, 2}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "cannot write a binary value as JSON");
}

}  // namespace
}  // namespace conveyor
