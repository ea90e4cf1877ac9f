#include "serving/token_store.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace conveyor::serving {
namespace {

constexpr std::string_view kHashOfAbc =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

Result<std::vector<TokenEntry>> Env(std::string_view value) {
  std::vector<std::string> warnings;
  return ParseTokensEnv(value, warnings);
}

std::string EnvError(std::string_view value) {
  Result<std::vector<TokenEntry>> entries = Env(value);
  EXPECT_FALSE(entries.ok()) << value;
  return entries.ok() ? "" : entries.status().message();
}

std::string FileError(std::string_view text) {
  Result<std::vector<TokenEntry>> entries = ParseTokenFile(text, "tokens.txt");
  EXPECT_FALSE(entries.ok()) << text;
  return entries.ok() ? "" : entries.status().message();
}

TEST(TokenStoreTest, RolesHaveNames) {
  for (Role role : {Role::kRead, Role::kPredict, Role::kFeedback, Role::kAdmin})
    EXPECT_EQ(ParseRole(RoleName(role)), role);
  EXPECT_EQ(ParseRole("Admin"), std::nullopt);
  EXPECT_EQ(KnownRoles(), "read, predict, feedback, admin");
}

TEST(TokenStoreTest, ParsesTheEnvironmentVariable) {
  std::vector<std::string> warnings;
  Result<std::vector<TokenEntry>> entries = ParseTokensEnv(
      " abc:admin , ops=0123456789abcdef0123:predict,,tok=with=equals:read ", warnings);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].name, "env-ba7816bf");  // sha256("abc") starts so
  EXPECT_EQ((*entries)[0].role, Role::kAdmin);
  EXPECT_EQ((*entries)[0].hash, Sha256("abc"));
  EXPECT_EQ((*entries)[0].origin, "CONVEYOR_TOKENS entry 1");
  EXPECT_EQ((*entries)[1].name, "ops");
  EXPECT_EQ((*entries)[1].role, Role::kPredict);
  EXPECT_EQ((*entries)[1].hash, Sha256("0123456789abcdef0123"));
  // The first '=' ends the name; the rest is the token.
  EXPECT_EQ((*entries)[2].name, "tok");
  EXPECT_EQ((*entries)[2].hash, Sha256("with=equals"));
  EXPECT_EQ((*entries)[2].origin, "CONVEYOR_TOKENS entry 4");
  // Short tokens are accepted with a warning naming the entry, not the token.
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0],
            "CONVEYOR_TOKENS entry 1 (token 'env-ba7816bf'): the token is shorter than 16 "
            "characters; 'conveyor token create' makes strong ones");
  EXPECT_EQ(warnings[1].find("with=equals"), std::string::npos);
}

TEST(TokenStoreTest, EnvironmentErrorsNameTheEntryAndNeverTheToken) {
  EXPECT_EQ(EnvError("a:admin,secretvalue"),
            "CONVEYOR_TOKENS entry 2: no role: expected TOKEN:ROLE or NAME=TOKEN:ROLE (roles: "
            "read, predict, feedback, admin)");
  EXPECT_EQ(EnvError("secretvalue:admn"),
            "CONVEYOR_TOKENS entry 1: the role after the last ':' is not one of read, predict, "
            "feedback, admin (did you mean 'admin'?)");
  // A reversed pair would put the token where the role goes: never echoed.
  std::string reversed = EnvError("admin:secretvalue");
  EXPECT_EQ(reversed.find("secretvalue"), std::string::npos) << reversed;
  EXPECT_EQ(EnvError(":admin"), "CONVEYOR_TOKENS entry 1: the token before ':admin' is empty");
  EXPECT_EQ(EnvError("x=:read"), "CONVEYOR_TOKENS entry 1: the token before ':read' is empty");
  EXPECT_EQ(EnvError("bad name=secretvalue:read"),
            "CONVEYOR_TOKENS entry 1: invalid token name 'bad name': expected characters from "
            "A-Z a-z 0-9 . _ -, starting with a letter or digit");
  EXPECT_EQ(EnvError("anonymous=secretvalue:read"),
            "CONVEYOR_TOKENS entry 1: the token name 'anonymous' is reserved");
}

TEST(TokenStoreTest, ParsesATokenFile) {
  std::string text = "# comment\n\n  ops   admin sha256:" + std::string(kHashOfAbc) +
                     "  \r\nci\tpredict\tsha256:" + std::string(64, 'F') + "\n";
  Result<std::vector<TokenEntry>> entries = ParseTokenFile(text, "tokens.txt");
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].name, "ops");
  EXPECT_EQ((*entries)[0].role, Role::kAdmin);
  EXPECT_EQ((*entries)[0].hash, Sha256("abc"));
  EXPECT_EQ((*entries)[0].origin, "tokens.txt:3");
  EXPECT_EQ((*entries)[1].hash[0], 0xff);
  EXPECT_EQ(FormatTokenLine("ops", Role::kAdmin, Sha256("abc")),
            "ops admin sha256:" + std::string(kHashOfAbc));
}

TEST(TokenStoreTest, FileErrorsNameTheLineAndTheField) {
  const std::string hash = "sha256:" + std::string(kHashOfAbc);
  EXPECT_EQ(FileError("# c\nops admin\n"),
            "tokens.txt:2: expected 3 fields 'NAME ROLE sha256:HEX', found 2");
  EXPECT_EQ(FileError("ops superuser " + hash),
            "tokens.txt:1: field 2 (role): unknown role 'superuser' (known roles: read, predict, "
            "feedback, admin)");
  EXPECT_EQ(FileError("ops predcit " + hash),
            "tokens.txt:1: field 2 (role): unknown role 'predcit' (known roles: read, predict, "
            "feedback, admin) (did you mean 'predict'?)");
  EXPECT_EQ(FileError("-ops admin " + hash),
            "tokens.txt:1: field 1 (name): invalid token name '-ops': expected characters from "
            "A-Z a-z 0-9 . _ -, starting with a letter or digit");
  const std::string bad_hash_message =
      "tokens.txt:1: field 3 (hash): expected 'sha256:' followed by 64 hex digits (the file "
      "holds hashes of tokens, never tokens)";
  EXPECT_EQ(FileError("ops admin cvy_plaintexttoken"), bad_hash_message);
  EXPECT_EQ(FileError("ops admin sha256:abc"), bad_hash_message);
  EXPECT_EQ(FileError("ops admin sha256:" + std::string(63, 'a') + "g"), bad_hash_message);
  EXPECT_EQ(FileError(std::string(65, 'a') + " admin " + hash),
            "tokens.txt:1: field 1 (name): token name 'aaaaaaaaaaaaaaaa...' is longer than 64 "
            "characters");
}

TEST(TokenStoreTest, DuplicateNamesAndTokensAreErrors) {
  TokenStore store;
  ASSERT_TRUE(store.Add(*Env("ops=aaaaaaaaaaaaaaaa:admin")).ok());
  Status same_name = store.Add(*Env("ops=bbbbbbbbbbbbbbbb:read"));
  EXPECT_EQ(same_name.code(), Code::kAlreadyExists);
  EXPECT_EQ(same_name.message(),
            "CONVEYOR_TOKENS entry 1: token name 'ops' is already used by CONVEYOR_TOKENS entry 1");
  Status same_token = store.Add(
      *ParseTokenFile("other read sha256:" + Sha256Hex("aaaaaaaaaaaaaaaa") + "\n", "tokens.txt"));
  EXPECT_EQ(same_token.message(),
            "tokens.txt:1: the same token as CONVEYOR_TOKENS entry 1 (each token once, please)");
  Status within = TokenStore().Add(*Env("a=cccccccccccccccc:read,b=cccccccccccccccc:admin"));
  EXPECT_EQ(within.message(),
            "CONVEYOR_TOKENS entry 2: the same token as CONVEYOR_TOKENS entry 1 (each token once, "
            "please)");
  EXPECT_EQ(store.size(), 1u);  // failed Adds added nothing
}

TEST(TokenStoreTest, FindComparesEveryEntry) {
  TokenStore store;
  ASSERT_TRUE(
      store.Add(*Env("a=aaaaaaaaaaaaaaaa:read,b=bbbbbbbbbbbbbbbb:predict,c=cccccccccccccccc:admin"))
          .ok());
  for (std::string_view token : {"aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc"}) {
    size_t compared = 0;
    const TokenEntry* entry = store.Find(token, &compared);
    ASSERT_NE(entry, nullptr) << token;
    EXPECT_EQ(entry->name, std::string(1, token[0]));
    EXPECT_EQ(compared, 3u) << "a match must not stop the scan";
  }
  size_t compared = 0;
  EXPECT_EQ(store.Find("dddddddddddddddd", &compared), nullptr);
  EXPECT_EQ(compared, 3u);
  EXPECT_EQ(store.Find(""), nullptr);
  EXPECT_EQ(TokenStore().Find("aaaaaaaaaaaaaaaa"), nullptr);
}

TEST(TokenStoreTest, LoadsBothSources) {
  testing::TempDir dir;
  testing::WriteFile(dir / "tokens", "ops admin sha256:" + Sha256Hex("file-token-0000001") + "\n");
  std::vector<std::string> warnings;
  Result<TokenStore> store =
      LoadTokenStore(std::string("ci=env-token-00000001:predict"), dir / "tokens", warnings);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(store->size(), 2u);
  EXPECT_EQ(store->Find("file-token-0000001")->name, "ops");
  EXPECT_EQ(store->Find("env-token-00000001")->name, "ci");
  EXPECT_TRUE(warnings.empty());

  EXPECT_EQ(LoadTokenStore(std::string(" , "), std::nullopt, warnings).status().message(),
            "CONVEYOR_TOKENS is set but holds no token");
  testing::WriteFile(dir / "empty", "# nothing\n");
  EXPECT_NE(LoadTokenStore(std::nullopt, dir / "empty", warnings)
                .status()
                .message()
                .find("holds no token"),
            std::string::npos);
  Status missing = LoadTokenStore(std::nullopt, dir / "absent", warnings).status();
  EXPECT_NE(missing.message().find("absent"), std::string::npos) << missing.ToString();
}

}  // namespace
}  // namespace conveyor::serving
