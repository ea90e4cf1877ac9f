// .dvc/config reading, merging and line-preserving edits; remote URL and
// option validation.
#include "remote/dvc_config.h"

#include <gtest/gtest.h>

#include "remote/ini_document.h"
#include "remote/remote_options.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

using testing::ReadFile;
using testing::WriteFile;

// A config as a person might keep it: comments, a section DVC knows but we
// do not touch, an inline comment, odd spacing.
constexpr char kHandWritten[] =
    "# shared settings\n"
    "[core]\n"
    "    remote = storage\n"
    "    autostage = true  # stage .dvc files\n"
    "\n"
    "['remote \"storage\"']\n"
    "    url = s3://bucket/path\n"
    "    endpointurl = http://127.0.0.1:9000\n"
    "# the team's NAS\n"
    "['remote \"nas\"']\n"
    "url=/mnt/nas/dvc\n"
    "[plots]\n"
    "    auto_open = false\n";

TEST(DvcConfigIniTest, RoundTripsUntouchedTextByteForByte) {
  auto doc = IniDocument::Parse(kHandWritten, ".dvc/config");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->Serialize(), kHandWritten);
  EXPECT_EQ(doc->Get("core", "autostage"), "true");
  EXPECT_EQ(doc->Get("CORE", "Remote"), "storage");
  EXPECT_EQ(doc->Get("remote \"nas\"", "url"), "/mnt/nas/dvc");
  EXPECT_EQ(doc->SectionLine("remote \"nas\""), 10);
}

TEST(DvcConfigIniTest, EditsTouchOnlyTheirLines) {
  auto doc = IniDocument::Parse(kHandWritten, ".dvc/config");
  ASSERT_TRUE(doc.ok());
  ASSERT_TRUE(doc->Set("core", "autostage", "false").ok());
  ASSERT_TRUE(doc->Set("remote \"storage\"", "region", "eu-west-1").ok());
  ASSERT_TRUE(doc->Set("remote \"new\"", "url", "ssh://h/p").ok());
  EXPECT_EQ(doc->Serialize(),
            "# shared settings\n"
            "[core]\n"
            "    remote = storage\n"
            "    autostage = false  # stage .dvc files\n"
            "\n"
            "['remote \"storage\"']\n"
            "    url = s3://bucket/path\n"
            "    endpointurl = http://127.0.0.1:9000\n"
            "    region = eu-west-1\n"
            "# the team's NAS\n"
            "['remote \"nas\"']\n"
            "url=/mnt/nas/dvc\n"
            "[plots]\n"
            "    auto_open = false\n"
            "['remote \"new\"']\n"
            "    url = ssh://h/p\n");
  EXPECT_TRUE(doc->Remove("plots", "auto_open"));
  EXPECT_FALSE(doc->HasSection("plots"));
  EXPECT_TRUE(doc->RemoveSection("remote \"nas\""));
  EXPECT_EQ(doc->Serialize().find("nas\"']"), std::string::npos);
  // Its comment stays: it may describe what follows.
  EXPECT_NE(doc->Serialize().find("# the team's NAS\n['remote \"new\"']"), std::string::npos);
}

TEST(DvcConfigIniTest, QuotesValuesAsConfigobjDoes) {
  EXPECT_EQ(*IniDocument::QuoteValue("plain/value"), "plain/value");
  EXPECT_EQ(*IniDocument::QuoteValue(""), "\"\"");
  EXPECT_EQ(*IniDocument::QuoteValue(" lead"), "\" lead\"");
  EXPECT_EQ(*IniDocument::QuoteValue("a,b"), "\"a,b\"");
  EXPECT_EQ(*IniDocument::QuoteValue("pa#ss"), "\"pa#ss\"");
  EXPECT_EQ(*IniDocument::QuoteValue("say \"hi\""), "'say \"hi\"'");
  EXPECT_EQ(*IniDocument::QuoteValue("it's \"x\""), "'''it's \"x\"'''");
  EXPECT_EQ(*IniDocument::QuoteValue("remote \"x\""), "'remote \"x\"'");
  EXPECT_EQ(IniDocument::QuoteValue("a\nb").status().message(),
            "a config value cannot contain a line break");
  // And reads them back.
  auto doc = IniDocument::Parse(
      "[s]\n    a = \"pa#ss\"  # c\n    b = '''it's \"x\"'''\n    c = \"\"\n", "f");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->Get("s", "a"), "pa#ss");
  EXPECT_EQ(doc->Get("s", "b"), "it's \"x\"");
  EXPECT_EQ(doc->Get("s", "c"), "");
}

TEST(DvcConfigIniTest, ErrorsNameFileAndLine) {
  auto error = [](std::string_view text) {
    return IniDocument::Parse(text, ".dvc/config").status().message();
  };
  EXPECT_EQ(error("[core]\n    remote = a\n\n# x\n['remote \"a\"']\n    url = /x\n    oops\n"),
            ".dvc/config:7: expected 'key = value', found 'oops'");
  EXPECT_EQ(error("remote = a\n"), ".dvc/config:1: key 'remote' comes before any [section]");
  EXPECT_EQ(error("[core\n"), ".dvc/config:1: expected '[section]', found '[core'");
  EXPECT_EQ(error("[a]\n[[b]]\n"), ".dvc/config:2: nested section '[[b]]' is not supported");
  EXPECT_EQ(error("[a]\n[A]\n"),
            ".dvc/config:2: section 'A' appears twice; merge the two into one");
  EXPECT_EQ(error("[a]\nk = 1\nk = 2\n"), ".dvc/config:3: key 'k' appears twice in section 'a'");
  EXPECT_EQ(error("[a]\nk = '''x\n"),
            ".dvc/config:2: the value of 'k': values spanning several lines are not supported");
  // Values are never quoted: .dvc/config.local holds secrets.
  EXPECT_EQ(error("[a]\npassword = \"Hunter2\n"),
            ".dvc/config:2: the value of 'password': unterminated quote");
  EXPECT_EQ(error("[a]\npassword = \"Hunter2\" x\n"),
            ".dvc/config:2: unexpected text after the quoted value of 'password'");
  EXPECT_EQ(error("[a]\npassword: Hunter2\n"),
            ".dvc/config:2: expected 'key = value', found 'password ...'");
  EXPECT_EQ(error("[a]\nHunter2\n"), ".dvc/config:2: expected 'key = value'");
}

class DvcConfigTest : public ::testing::Test {
 protected:
  std::filesystem::path Dvc() const { return dir_ / ".dvc"; }
  Result<DvcConfig> Load() const { return DvcConfig::Load(Dvc()); }
  testing::TempDir dir_;
};

TEST_F(DvcConfigTest, MergesLocalOverRepoKeyByKey) {
  WriteFile(Dvc() / "config", kHandWritten);
  WriteFile(Dvc() / "config.local",
            "[core]\n    remote = nas\n['remote \"storage\"']\n    secret_access_key = s3cr3t\n"
            "    endpointurl = http://minio:9000\n['remote \"mine\"']\n    url = ../../mine\n");
  auto config = Load();
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->DefaultRemote(), "nas");
  EXPECT_EQ(config->DefaultRemote(ConfigLevel::kRepo), "storage");
  auto remotes = config->Remotes();
  ASSERT_TRUE(remotes.ok());
  ASSERT_EQ(remotes->size(), 3u);
  EXPECT_EQ((*remotes)[0].name, "storage");
  EXPECT_EQ((*remotes)[0].url, "s3://bucket/path");
  std::map<std::string, std::string> storage_options = {{"endpointurl", "http://minio:9000"},
                                                        {"secret_access_key", "s3cr3t"}};
  EXPECT_EQ((*remotes)[0].options, storage_options);
  EXPECT_EQ((*remotes)[1].name, "nas");
  EXPECT_EQ((*remotes)[2].name, "mine");
  EXPECT_EQ((*remotes)[2].url_level, ConfigLevel::kLocal);
  EXPECT_EQ((*remotes)[2].base_dir, Dvc());
  EXPECT_EQ(config->Remote("nope").status().message(),
            "remote 'nope' does not exist; known remotes: storage, nas, mine");
}

TEST_F(DvcConfigTest, RemoteWithoutUrlNamesItsLine) {
  WriteFile(Dvc() / "config", "[core]\n    remote = a\n['remote \"a\"']\n    region = x\n");
  auto config = Load();
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->Remotes().status().message(), ".dvc/config:3: remote 'a' has no url");
}

TEST_F(DvcConfigTest, WritesWhatDvcWrites) {
  WriteFile(Dvc() / "config", "");
  auto config = Load();
  ASSERT_TRUE(config.ok());
  ASSERT_TRUE(config->AddRemote(ConfigLevel::kRepo, "MyRemote", "s3://bucket/path", false).ok());
  ASSERT_TRUE(config->SetDefaultRemote(ConfigLevel::kRepo, "myremote").ok());
  ASSERT_TRUE(
      config
          ->SetRemoteOption(ConfigLevel::kRepo, "myremote", "endpointurl", "http://127.0.0.1:9000")
          .ok());
  ASSERT_TRUE(
      config->SetRemoteOption(ConfigLevel::kLocal, "myremote", "secret_access_key", "abc").ok());
  ASSERT_TRUE(config->Save().ok());
  EXPECT_EQ(ReadFile(Dvc() / "config"),
            "[core]\n"
            "    remote = myremote\n"
            "['remote \"myremote\"']\n"
            "    url = s3://bucket/path\n"
            "    endpointurl = http://127.0.0.1:9000\n");
  EXPECT_EQ(ReadFile(Dvc() / "config.local"),
            "['remote \"myremote\"']\n    secret_access_key = abc\n");

  auto again = Load();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->AddRemote(ConfigLevel::kRepo, "myremote", "/x", false).message(),
            "remote 'myremote' already exists in .dvc/config; use -f|--force to overwrite it");
  ASSERT_TRUE(again->AddRemote(ConfigLevel::kRepo, "myremote", "sftp://u@h:2222/d", true).ok());
  EXPECT_EQ(again->Text(ConfigLevel::kRepo),
            "[core]\n    remote = myremote\n['remote \"myremote\"']\n    url = ssh://u@h:2222/d\n");
  ASSERT_TRUE(again->RemoveRemote(ConfigLevel::kRepo, "myremote").ok());
  EXPECT_EQ(again->Text(ConfigLevel::kRepo), "");
  // The local section stays: `remove` without --local edits .dvc/config.
  EXPECT_TRUE(again->HasRemote(ConfigLevel::kLocal, "myremote"));
}

TEST_F(DvcConfigTest, OptionsAreCheckedAgainstTheRemoteType) {
  WriteFile(Dvc() / "config",
            "['remote \"s\"']\n    url = s3://b\n['remote \"g\"']\n"
            "    url = gs://b\n");
  auto config = Load();
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->SetRemoteOption(ConfigLevel::kRepo, "s", "port", "22").message(),
            "unknown option 'port' for s3 remotes; known options: access_key_id, acl, "
            "allow_anonymous_login, cache_regions, checksum_jobs, configpath, connect_timeout, "
            "credentialpath, endpointurl, grant_full_control, grant_read, grant_read_acp, "
            "grant_write_acp, jobs, listobjects, no_traverse, profile, read_timeout, region, "
            "secret_access_key, session_token, sse, sse_customer_algorithm, sse_customer_key, "
            "sse_kms_key_id, ssl_verify, url, use_ssl, verify, version_aware, worktree");
  EXPECT_NE(config->SetRemoteOption(ConfigLevel::kRepo, "s", "regoin", "x")
                .message()
                .find("(did you mean 'region'?)"),
            std::string::npos);
  EXPECT_EQ(config->SetRemoteOption(ConfigLevel::kRepo, "s", "use_ssl", "yes").message(),
            "option 'use_ssl' expects true or false, not 'yes'");
  EXPECT_EQ(config->SetRemoteOption(ConfigLevel::kRepo, "g", "region", "x").message(),
            "remote 'g' is of a type conveyor does not manage; change it with 'dvc remote "
            "modify'");
  EXPECT_EQ(config->SetRemoteOption(ConfigLevel::kRepo, "zz", "region", "x").message(),
            "remote 'zz' does not exist; known remotes: s, g");
  EXPECT_TRUE(config->SetRemoteOption(ConfigLevel::kRepo, "s", "use_ssl", "False").ok());
}

TEST(DvcConfigUrlTest, ParsesSupportedUrls) {
  auto ssh = ParseSupportedRemoteUrl("sftp://alice@host.example:2222/srv/dvc");
  ASSERT_TRUE(ssh.ok());
  EXPECT_EQ(ssh->type, RemoteType::kSsh);
  EXPECT_EQ(ssh->url, "ssh://alice@host.example:2222/srv/dvc");
  EXPECT_EQ(ssh->user, "alice");
  EXPECT_EQ(ssh->host, "host.example");
  EXPECT_EQ(ssh->port, 2222);
  EXPECT_EQ(ssh->path, "/srv/dvc");
  auto s3 = ParseSupportedRemoteUrl("s3://bucket/a/b");
  ASSERT_TRUE(s3.ok());
  EXPECT_EQ(s3->host, "bucket");
  EXPECT_EQ(s3->path, "a/b");
  EXPECT_EQ(ParseSupportedRemoteUrl("../store")->type, RemoteType::kLocal);
  EXPECT_EQ(ParseSupportedRemoteUrl("file:///srv/x")->path, "/srv/x");
  EXPECT_EQ(ParseSupportedRemoteUrl("gs://b").status().message(),
            "'gs://b': conveyor cannot store to gs:// remotes; use a local path, file:///path, "
            "s3://bucket[/prefix] or ssh://[user@]host[:port]/path (sftp:// too)");
  EXPECT_EQ(ParseSupportedRemoteUrl("s3://").status().message(),
            "'s3://': an S3 URL needs a bucket: s3://bucket[/prefix]");
  EXPECT_EQ(ParseSupportedRemoteUrl("ssh://h:99999/x").status().message(),
            "'ssh://h:99999/x': port '99999' is not a number from 1 to 65535");
  EXPECT_EQ(ValidateRemoteName("my remote").message(),
            "invalid remote name 'my remote': use lower-case letters, digits, '.', '_' and '-', "
            "starting with a letter or digit");
  EXPECT_TRUE(ValidateRemoteName("s3-eu.1").ok());
}

TEST(DvcConfigUrlTest, PasswordsInUrlsAreSplitOffAndNeverQuoted) {
  auto ssh = ParseSupportedRemoteUrl("sftp://alice:pw%40x@host:22/srv");
  ASSERT_TRUE(ssh.ok());
  EXPECT_EQ(ssh->user, "alice");
  EXPECT_EQ(ssh->password, "pw@x") << "percent-decoded, as URLs encode userinfo";
  EXPECT_EQ(ssh->host, "host");
  EXPECT_EQ(ssh->url, "ssh://alice:pw%40x@host:22/srv");  // written as given
  auto encoded_user = ParseSupportedRemoteUrl("ssh://d%C3%A9v%3Aops@host/srv");
  ASSERT_TRUE(encoded_user.ok());
  EXPECT_EQ(encoded_user->user, "d\xc3\xa9v:ops");
  EXPECT_EQ(encoded_user->password, "");
  // A raw '%' that starts no escape is kept as written.
  auto raw_percent = ParseSupportedRemoteUrl("ssh://bob:50%off@host/srv");
  ASSERT_TRUE(raw_percent.ok());
  EXPECT_EQ(raw_percent->password, "50%off");
  // A raw '/' in the password.
  auto slash = ParseSupportedRemoteUrl("ssh://alice:ab/cd@host:22/srv");
  ASSERT_TRUE(slash.ok());
  EXPECT_EQ(slash->user, "alice");
  EXPECT_EQ(slash->password, "ab/cd");
  EXPECT_EQ(slash->host, "host");
  EXPECT_EQ(slash->port, 22);
  EXPECT_EQ(slash->path, "/srv");
  // Raw '?' too, read and masked by the same rule (common/redact.h).
  auto query = ParseSupportedRemoteUrl("ssh://alice:p?ss@host/srv");
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->password, "p?ss");
  EXPECT_EQ(query->host, "host");
  EXPECT_EQ(query->path, "/srv");
  // An IPv6 host with an '@' in the path has no userinfo.
  auto ipv6 = ParseSupportedRemoteUrl("ssh://[::1]:2222/d/m@v1");
  ASSERT_TRUE(ipv6.ok()) << ipv6.status().ToString();
  EXPECT_EQ(ipv6->user, "");
  EXPECT_EQ(ipv6->path, "/d/m@v1");
  EXPECT_EQ(ParseSupportedRemoteUrl("ssh://alice:ab/cd@host:0/srv").status().message(),
            "'ssh://alice:***@host:0/srv': port '0' is not a number from 1 to 65535");
  EXPECT_EQ(
      ParseSupportedRemoteUrl("s3://AKIAKEY:Hun/ter2@bucket/p").status().message().find("Hun"),
      std::string::npos);
  EXPECT_EQ(ParseSupportedRemoteUrl("ssh://alice:Hunter2@h:99999/x").status().message(),
            "'ssh://alice:***@h:99999/x': port '99999' is not a number from 1 to 65535");
  EXPECT_EQ(ParseSupportedRemoteUrl("ssh://alice:Hunter2@:22/x").status().message(),
            "'ssh://alice:***@:22/x': an SSH URL needs a host: ssh://[user@]host[:port]/path");
  EXPECT_EQ(ParseSupportedRemoteUrl("gs://alice:Hunter2@b").status().message(),
            "'gs://alice:***@b': conveyor cannot store to gs:// remotes; use a local path, "
            "file:///path, s3://bucket[/prefix] or ssh://[user@]host[:port]/path (sftp:// too)");
  EXPECT_EQ(ParseSupportedRemoteUrl("file://u:Hunter2@h/x").status().message(),
            "'file://u:***@h/x': a file URL names no host; write file:///absolute/path or a "
            "plain path");
  // Keys in an S3 URL are refused without quoting them.
  EXPECT_EQ(ParseSupportedRemoteUrl("s3://AKIAKEY:Hunter2@bucket/p").status().message(),
            "an s3:// URL carries no credentials (it has '@' before the bucket); set "
            "access_key_id and secret_access_key with 'conveyor remote modify --local'");
}

TEST(DvcConfigUrlTest, PathForConfigIsRelativeToDvcDir) {
  EXPECT_EQ(PathForConfig("../store", "/p", "/p/.dvc"), "../../store");
  EXPECT_EQ(PathForConfig("store", "/p/sub", "/p/.dvc"), "../sub/store");
  EXPECT_EQ(PathForConfig("/abs", "/p", "/p/.dvc"), "/abs");
  EXPECT_EQ(PathForConfig("s3://b", "/p", "/p/.dvc"), "s3://b");
}

}  // namespace
}  // namespace conveyor
