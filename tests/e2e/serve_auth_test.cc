// End-to-end: access control of `conveyor serve` (docs/security.md) with the
// real binary and curl: tokens made by `conveyor token` and given in
// CONVEYOR_TOKENS, 401/403/200 by role, the audit line of a replace, no
// token value in any output, and the refusal to start without an auth choice.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "testing/cli_runner.h"
#include "testing/serve_process.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::ReadFile;
using testing::RunConveyor;
using testing::Shell;

// A predict token given in the environment (CONVEYOR_TOKENS).
constexpr std::string_view kPredictToken = "ci-predict-token-0123456789abcdef";

class ServeAuthTest : public testing::TrainedDigitsTest {
 protected:
  void SetUp() override {
    TrainedDigitsTest::SetUp();
    ASSERT_FALSE(HasFatalFailure());
    server_.emplace(dir_.path());
    url_ = server_->url();
  }

  // curl with `args` and an optional bearer token: the status code, and the
  // response headers and body in headers.txt and body.json.
  int Curl(const std::string& args, std::string_view token = "") {
    std::string auth =
        token.empty() ? "" : "-H 'Authorization: Bearer " + std::string(token) + "' ";
    Shell(dir_.path(),
          "curl -s -D headers.txt -o body.json -w '%{http_code}' " + auth + args + " >code");
    return std::stoi(ReadFile(dir_ / "code"));
  }
  Json Body() { return Json::parse(ReadFile(dir_ / "body.json"), nullptr, false); }

  std::optional<testing::ServeProcess> server_;
  std::string url_;
};

TEST_F(ServeAuthTest, TokensRolesAuditAndNoSecretsInOutput) {
  // An admin token in the project's token file, printed once.
  auto created = RunConveyor(dir_.path(), "token create ops --role admin");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string admin_token = created.out.substr(0, created.out.find('\n'));
  ASSERT_EQ(admin_token.size(), 47u) << created.out;  // "cvy_" + 43 base64url characters
  const fs::path tokens = dir_ / ".conveyor/tokens";
  struct stat info {};
  ASSERT_EQ(stat(tokens.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(ReadFile(tokens).find(admin_token), std::string::npos);

  server_->Start("--tokens .conveyor/tokens --threads 2",
                 "CONVEYOR_TOKENS=ci=" + std::string(kPredictToken) + ":predict ");
  ASSERT_FALSE(HasFatalFailure());

  // No token, an unknown one: 401 with a Bearer challenge.
  EXPECT_EQ(Curl("-F file=@sample.png " + url_ + "/predict"), 401);
  EXPECT_NE(ReadFile(dir_ / "headers.txt").find("WWW-Authenticate: Bearer realm=\"conveyor\""),
            std::string::npos)
      << ReadFile(dir_ / "headers.txt");
  EXPECT_EQ(Body()["error"]["code"], "unauthorized");
  EXPECT_EQ(Curl(url_ + "/get_experiment_metas", "not-a-token"), 401);
  // Probes and metrics stay open.
  EXPECT_EQ(Curl(url_ + "/healthz"), 200);
  EXPECT_EQ(Curl(url_ + "/metrics"), 200);

  // The predict token predicts and reads, but may not replace the model.
  EXPECT_EQ(Curl("-F file=@sample.png " + url_ + "/predict", kPredictToken), 200);
  ASSERT_EQ(Curl(url_ + "/get_experiment_metas", kPredictToken), 200);
  const std::string tag = Body()[0]["tag"];
  EXPECT_EQ(Curl("-X POST '" + url_ + "/replace_ml_model?tag=" + tag + "'", kPredictToken), 403);
  EXPECT_EQ(Body()["error"]["message"],
            "/replace_ml_model needs role admin; token 'ci' has role predict");

  // The admin token replaces; a bad tag is refused naming the field.
  ASSERT_EQ(Curl("-X POST '" + url_ + "/replace_ml_model?tag=" + tag + "'", admin_token), 200)
      << Body().dump();
  EXPECT_EQ(Curl("-X POST '" + url_ + "/replace_ml_model?tag=a..b'", admin_token), 422);
  EXPECT_EQ(Body()["error"]["message"], "tag: must not contain '..'");

  EXPECT_EQ(server_->Stop(), "0\n");
  const std::string log = ReadFile(dir_ / "serve.err");
  // One audit line per replace, naming the token's name.
  std::vector<Json> audits;
  for (size_t start = 0; start < log.size();) {
    size_t end = log.find('\n', start);
    Json line = Json::parse(log.substr(start, end - start), nullptr, false);
    if (line.is_object() && line.value("type", "") == "audit")
      audits.push_back(line);
    start = end == std::string::npos ? log.size() : end + 1;
  }
  ASSERT_EQ(audits.size(), 2u) << log;
  EXPECT_EQ(audits[0]["principal"], "ops");
  EXPECT_EQ(audits[0]["action"], "replace_ml_model");
  EXPECT_EQ(audits[0]["outcome"], "ok");
  EXPECT_EQ(audits[0]["from"]["version"], 1);
  EXPECT_EQ(audits[0]["to"]["tag"], tag);
  EXPECT_EQ(audits[1]["outcome"], "rejected");
  EXPECT_NE(log.find("Access control: 2 tokens (ci (predict), ops (admin))"), std::string::npos)
      << log;

  // Neither token appears in anything the server wrote.
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_.path())) {
    if (!entry.is_regular_file())
      continue;
    const std::string text = ReadFile(entry.path());
    EXPECT_EQ(text.find(admin_token), std::string::npos) << entry.path();
    EXPECT_EQ(text.find(kPredictToken), std::string::npos) << entry.path();
  }
}

TEST_F(ServeAuthTest, TokenCommandRoundTrip) {
  auto first = RunConveyor(dir_.path(), "token create reader --role read --file t/tokens");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(RunConveyor(dir_.path(), "token create ops --role admin -f t/tokens").exit_code, 0);
  auto again = RunConveyor(dir_.path(), "token create ops --role read -f t/tokens");
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("already has a token named 'ops'"), std::string::npos) << again.err;
  auto bad_role = RunConveyor(dir_.path(), "token create x --role admn -f t/tokens");
  EXPECT_EQ(bad_role.exit_code, 2);
  EXPECT_NE(bad_role.err.find("did you mean 'admin'?"), std::string::npos) << bad_role.err;

  auto list = RunConveyor(dir_.path(), "token list -f t/tokens");
  EXPECT_EQ(list.out, "reader\tread\nops\tadmin\n");
  auto json = RunConveyor(dir_.path(), "token list -f t/tokens --json");
  EXPECT_EQ(Json::parse(json.out),
            Json::parse(R"([{"name":"reader","role":"read"},{"name":"ops","role":"admin"}])"));
  EXPECT_EQ(json.out.find("sha256"), std::string::npos);

  auto revoked = RunConveyor(dir_.path(), "token revoke reader -f t/tokens");
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_EQ(RunConveyor(dir_.path(), "token list -f t/tokens").out, "ops\tadmin\n");
  auto missing = RunConveyor(dir_.path(), "token revoke reader -f t/tokens");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("has no token named 'reader'"), std::string::npos) << missing.err;
  struct stat info {};
  ASSERT_EQ(stat((dir_ / "t/tokens").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_NE(ReadFile(dir_ / "t/tokens").find("# conveyor token file, format 1"), std::string::npos);
}

TEST_F(ServeAuthTest, RefusesToStartWithoutAnAuthChoice) {
  auto serve = RunConveyor(dir_.path(), "serve --port 0", "env -u CONVEYOR_TOKENS ");
  EXPECT_EQ(serve.exit_code, 2);
  for (std::string_view way : {"CONVEYOR_TOKENS=", "--tokens FILE", "--no-auth"})
    EXPECT_NE(serve.err.find(way), std::string::npos) << serve.err;
  auto both = RunConveyor(dir_.path(), "serve --port 0 --no-auth --tokens x");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("--no-auth"), std::string::npos) << both.err;
  // A bad token file stops serve before it loads anything, naming the line.
  testing::WriteFile(dir_ / "bad-tokens", "ops admin cvy_notahash\n");
  auto bad = RunConveyor(dir_.path(), "serve --port 0 --tokens bad-tokens");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("bad-tokens:1: field 3 (hash)"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.err.find("cvy_notahash"), std::string::npos) << bad.err;
}

TEST_F(ServeAuthTest, NoAuthSaysSo) {
  server_->Start("--no-auth --threads 1");
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(Curl(url_ + "/get_experiment_metas"), 200);
  EXPECT_EQ(server_->Stop(), "0\n");
  EXPECT_NE(ReadFile(dir_ / "serve.err")
                .find("authentication is off (--no-auth): anyone who can reach port " +
                      url_.substr(url_.rfind(':') + 1) + " can replace the model"),
            std::string::npos)
      << ReadFile(dir_ / "serve.err");
}

}  // namespace
}  // namespace conveyor
