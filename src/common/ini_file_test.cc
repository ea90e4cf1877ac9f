#include "common/ini_file.h"

#include <gtest/gtest.h>

namespace conveyor {
namespace {

constexpr std::string_view kDvcConfig =
    "[core]\n"
    "    remote = storage\n"
    "    autostage = true\n"
    "['remote \"storage\"']\n"
    "    url = /mnt/share/dvc\n"
    "# a comment\n"
    "[cache]\n"
    "    type = \"reflink,copy\"\n";

TEST(IniFileTest, ReadsDvcConfig) {
  auto ini = IniFile::Parse(kDvcConfig, ".dvc/config");
  ASSERT_TRUE(ini.ok()) << ini.status().message();
  EXPECT_EQ(ini->Get("core", "remote"), "storage");
  EXPECT_EQ(ini->Get("remote \"storage\"", "url"), "/mnt/share/dvc");
  EXPECT_EQ(ini->Get("cache", "type"), "reflink,copy");
  EXPECT_EQ(ini->Get("cache", "dir"), std::nullopt);
  EXPECT_EQ(ini->Sections(), (std::vector<std::string>{"core", "remote \"storage\"", "cache"}));
}

TEST(IniFileTest, SerializesAsDvcWrites) {
  IniFile ini = *IniFile::Parse("", "x");
  ini.Set("core", "remote", "storage");
  ini.Set("remote \"storage\"", "url", "s3://bucket/path");
  EXPECT_EQ(ini.Serialize(),
            "[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://bucket/path\n");
  EXPECT_TRUE(ini.Remove("core", "remote"));
  EXPECT_FALSE(ini.Remove("core", "remote"));
  EXPECT_EQ(ini.Sections(), std::vector<std::string>{"remote \"storage\""});
}

TEST(IniFileTest, ErrorsNameFileAndLine) {
  EXPECT_EQ(IniFile::Parse("[core]\n  remote storage\n", ".dvc/config").status().message(),
            ".dvc/config:2: expected 'key = value', found 'remote ...'");
  EXPECT_EQ(IniFile::Parse("x = 1\n", ".dvc/config").status().message(),
            ".dvc/config:1: key 'x' comes before any [section]");
  // Values are never quoted: they may be secrets.
  EXPECT_EQ(IniFile::Parse("[r]\n  password: Hunter2\n", "c").status().message(),
            "c:2: expected 'key = value', found 'password ...'");
  EXPECT_EQ(IniFile::Parse("[r]\n  AKIAHunter2\n", "c").status().message(),
            "c:2: expected 'key = value'");
  EXPECT_EQ(IniFile::Parse("password = Hunter2\n", "c").status().message(),
            "c:1: key 'password' comes before any [section]");
  EXPECT_EQ(IniFile::Parse("[core\n", "c").status().message(),
            "c:1: section header '[core' has no closing ']'");
}

}  // namespace
}  // namespace conveyor
