#include "common/redact.h"

#include <gtest/gtest.h>

namespace conveyor {
namespace {

TEST(RedactUrlPasswordsTest, MasksThePasswordOfAUrl) {
  const std::pair<const char*, const char*> cases[] = {
      {"ssh://alice:pw@host/srv", "ssh://alice:***@host/srv"},
      {"sftp://alice:pw@host:2222/srv", "sftp://alice:***@host:2222/srv"},
      {"postgresql://u:s3cr3t@127.0.0.1:5432/db?sslmode=off",
       "postgresql://u:***@127.0.0.1:5432/db?sslmode=off"},
      {"http://:tok@127.0.0.1:9000", "http://:***@127.0.0.1:9000"},
      {"ssh://alice:p:w@host/srv", "ssh://alice:***@host/srv"},    // ':' in the password
      {"ssh://alice:p@w@host/srv", "ssh://alice:***@host/srv"},    // a raw '@' too
      {"ssh://alice:p%2Fw@host/srv", "ssh://alice:***@host/srv"},  // percent-encoded '/'
      {"ssh://alice:@host/srv", "ssh://alice:***@host/srv"},       // empty: still marked
      // A raw '/' in the password, as AWS secret keys have.
      {"s3://AKIA:ab/cd+e@bucket/p", "s3://AKIA:***@bucket/p"},
      {"ssh://alice:ab/cd@host:22/srv", "ssh://alice:***@host:22/srv"},
      // Raw '?' and '#' end the authority early too.
      {"ssh://alice:p?ss@host/srv", "ssh://alice:***@host/srv"},
      {"ssh://alice:p#ss@host/srv", "ssh://alice:***@host/srv"},
  };
  for (const auto& [url, want] : cases)
    EXPECT_EQ(RedactUrlPasswords(url), want) << url;
}

TEST(RedactUrlPasswordsTest, LeavesUrlsWithoutAPasswordAlone) {
  for (const char* text :
       {"", "ssh://alice@host/srv", "s3://bucket/prefix", "/srv/dvc", "../store",
        "file:///mnt/store", "s3://bucket/user:x@y", "http://127.0.0.1:9000/a?b=c@d",
        "not a url: a:b@c", "://u:p@h", "ssh://host:22/srv/alice@x", "http://h:80/a?u=b@c",
        "ssh://[::1]:2222/d/m@v1", "ssh://[::1]/d/m@v1"}) {
    EXPECT_EQ(RedactUrlPasswords(text), text);
  }
}

TEST(RedactUrlPasswordsTest, MasksEveryUrlInAMessage) {
  EXPECT_EQ(RedactUrlPasswords("'ssh://a:one@h1/x': port 'p' is bad; try 'sftp://b:two@h2:22/y'"),
            "'ssh://a:***@h1/x': port 'p' is bad; try 'sftp://b:***@h2:22/y'");
  EXPECT_EQ(RedactUrlPasswords("cannot reach http://u:pw@127.0.0.1:1\n(then ssh://c:d@e)"),
            "cannot reach http://u:***@127.0.0.1:1\n(then ssh://c:***@e)");
}

TEST(UrlUserinfoEndTest, FindsTheAtThatEndsTheUserinfo) {
  EXPECT_EQ(UrlUserinfoEnd("alice:pw@host/srv"), 8u);
  EXPECT_EQ(UrlUserinfoEnd("alice@host/srv@x"), 5u);
  EXPECT_EQ(UrlUserinfoEnd("alice:p?ss@host/srv"), 10u);
  EXPECT_EQ(UrlUserinfoEnd("host:22/srv@x"), std::string_view::npos);
  EXPECT_EQ(UrlUserinfoEnd("[::1]:22/srv@x"), std::string_view::npos);
  EXPECT_EQ(UrlUserinfoEnd("host/srv"), std::string_view::npos);
}

TEST(RedactSecretsTest, ReplacesEveryOccurrence) {
  EXPECT_EQ(RedactSecrets("key KEY1 then KEY1 and S2", {"KEY1", "S2"}), "key *** then *** and ***");
  EXPECT_EQ(RedactSecrets("nothing here", {"KEY1"}), "nothing here");
  EXPECT_EQ(RedactSecrets("empty secrets are ignored", {"", ""}), "empty secrets are ignored");
}

TEST(RedactSecretsTest, LongerSecretsFirstAndNoEndlessLoop) {
  // "abc" inside "abcdef": the longer one goes whole.
  EXPECT_EQ(RedactSecrets("x abcdef y abc", {"abc", "abcdef"}), "x *** y ***");
  // A secret that kRedacted contains.
  EXPECT_EQ(RedactSecrets("a*b", {"*"}), "a***b");
}

TEST(ConfigLineForMessageTest, QuotesOnlyALeadingOptionName) {
  EXPECT_EQ(ConfigLineForMessage("oops"), "oops");
  EXPECT_EQ(ConfigLineForMessage("secret_access_key: Hunter2"), "secret_access_key ...");
  EXPECT_EQ(ConfigLineForMessage("remote storage"), "remote ...");
  EXPECT_EQ(ConfigLineForMessage("password=Hunter2"), "password ...");
  // A line that does not start with a name-like word is not quoted at all.
  EXPECT_EQ(ConfigLineForMessage("AKIAHunter2"), "");
  EXPECT_EQ(ConfigLineForMessage("wJalrXUtnFEMI/K7MDENG"), "");
  EXPECT_EQ(ConfigLineForMessage(": Hunter2"), "");
  EXPECT_EQ(ConfigLineForMessage(std::string(41, 'a')), "");
  EXPECT_EQ(ConfigLineForMessage(""), "");
}

}  // namespace
}  // namespace conveyor
