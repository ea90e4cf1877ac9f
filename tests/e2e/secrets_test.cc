// End-to-end: storage credentials never reach what conveyor prints or writes
// (issue 9: secrets never appear in logs, errors, reports or --json output).
// Distinctive values are planted where users keep them — .dvc/config.local,
// the AWS_* environment, ~/.aws/credentials, the password of an ssh:// URL, a
// PostgreSQL registry URL, the CI token variables — and the commands that
// read them run on their success and failure paths. Every command goes
// through Run(), which greps its stdout and stderr for every planted value;
// files the commands write (reports) are grepped too. Each case also checks
// that the command did its job, or failed for the reason it names, with the
// redacted form (`***`) where a secret was, so a command that printed nothing
// cannot pass. Serve tokens have their own test (serve_auth_test.cc).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "testing/cli_runner.h"
#include "testing/serve_process.h"
#include "testing/temp_dir.h"
#include "testing/time_scale.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunConveyor;
using testing::Shell;
using testing::ShellQuote;
using testing::WriteFile;
using Json = nlohmann::json;

// The planted values; none may appear in any output.
constexpr char kKeyId[] = "SECRETAKIACONFIGKEY1";           // .dvc/config.local
constexpr char kSecretKey[] = "s3cr3t-config-key/Ab+1";     // .dvc/config.local
constexpr char kSessionToken[] = "s3cr3t-session-token-2";  // .dvc/config.local
constexpr char kEnvKeyId[] = "SECRETAKIAENVKEY3";           // AWS_ACCESS_KEY_ID
constexpr char kEnvSecret[] = "s3cr3t-env-key-4";           // AWS_SECRET_ACCESS_KEY
constexpr char kEnvToken[] = "s3cr3t-env-token-5";          // AWS_SESSION_TOKEN
constexpr char kFileKeyId[] = "SECRETAKIAFILEKEY6";         // ~/.aws/credentials
constexpr char kFileSecret[] = "s3cr3t-file-key-7";         // ~/.aws/credentials
constexpr char kUrlPassword[] = "s3cr3t-url-pw-8";          // ssh://alice:PW@host
constexpr char kSftpPassword[] = "s3cr3t-sftp-pw-9";        // password option
constexpr char kPassphrase[] = "s3cr3t-passphrase-10";      // passphrase option
constexpr char kPgPassword[] = "s3cr3t-pg-pw-11";           // postgresql://u:PW@
constexpr char kCiToken[] = "s3cr3t-ci-token-12";           // CONVEYOR_GITLAB_TOKEN
constexpr char kJobToken[] = "s3cr3t-job-token-13";         // CI_JOB_TOKEN

const std::vector<std::string>& Secrets() {
  static const std::vector<std::string> all = {
      kKeyId,      kSecretKey,   kSessionToken, kEnvKeyId,   kEnvSecret,  kEnvToken, kFileKeyId,
      kFileSecret, kUrlPassword, kSftpPassword, kPassphrase, kPgPassword, kCiToken,  kJobToken};
  return all;
}

// Fails the test for each planted secret `text` contains.
void ExpectNoSecret(const std::string& text, const std::string& where) {
  for (const std::string& secret : Secrets()) {
    EXPECT_EQ(text.find(secret), std::string::npos)
        << where << " shows the secret " << secret << ":\n"
        << text;
  }
}

void ExpectHas(const std::string& text, const std::string& needle) {
  EXPECT_NE(text.find(needle), std::string::npos) << "missing: " << needle << "\nin: " << text;
}

// An S3 endpoint for the tests, path-style, objects kept in memory. Mode
// "ok" serves requests signed with the access key id given (others get 403
// InvalidAccessKeyId); mode "echo" answers every request 400 quoting the
// Authorization and X-Amz-Security-Token headers it got, as a careless
// server or proxy might. Its port is written to `port`.
constexpr char kFakeS3[] = R"(import http.server, sys, urllib.parse, os
mode, key_id = sys.argv[1], sys.argv[2]
store = {}
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, status, body=b''):
        self.send_response(status)
        self.send_header('Content-Type', 'application/xml')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD': self.wfile.write(body)
    def error(self, status, code, message):
        body = '<Error><Code>%s</Code><Message>%s</Message></Error>' % (code, message)
        self.reply(status, body.encode())
    def answer(self):
        n = int(self.headers.get('Content-Length') or 0)
        data = self.rfile.read(n) if n else b''
        auth = self.headers.get('Authorization', '')
        said = auth + ' token ' + self.headers.get('X-Amz-Security-Token', '')
        if mode == 'echo':
            return self.error(400, 'InvalidArgument', 'cannot take ' + said)
        if ('Credential=' + key_id + '/') not in auth:
            return self.error(403, 'InvalidAccessKeyId', 'unknown key in ' + said)
        url = urllib.parse.urlsplit(self.path)
        parts = urllib.parse.unquote(url.path).split('/', 2)
        key = parts[2] if len(parts) > 2 else ''
        if self.command == 'PUT':
            store[key] = data
            return self.reply(200)
        if self.command == 'GET' and not key:
            prefix = urllib.parse.parse_qs(url.query).get('prefix', [''])[0]
            items = ''.join('<Contents><Key>%s</Key><Size>%d</Size></Contents>' % (k, len(v))
                            for k, v in sorted(store.items()) if k.startswith(prefix))
            body = '<ListBucketResult><IsTruncated>false</IsTruncated>%s</ListBucketResult>' % items
            return self.reply(200, body.encode())
        if key in store:
            return self.reply(200, store[key])
        return self.error(404, 'NoSuchKey', 'no such key')
    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = answer
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
open('port.tmp', 'w').write(str(s.server_port))
os.rename('port.tmp', 'port')
s.serve_forever()
)";

// A project with one tracked file, a.txt; HOME is a fresh directory and the
// AWS variables are empty (unset, as conveyor reads them) unless a case sets
// them.
class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    project_ = dir_ / "project";
    home_ = dir_ / "home";
    fs::create_directories(project_);
    fs::create_directories(home_);
    base_env_ = "HOME=" + ShellQuote(home_.string()) +
                " AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= AWS_SESSION_TOKEN= AWS_PROFILE= "
                "AWS_SHARED_CREDENTIALS_FILE= AWS_CONFIG_FILE= CONVEYOR_REGISTRY= ";
    ASSERT_EQ(Run("init --no-scm").exit_code, 0);
    WriteFile(project_ / "a.txt", "hello\n");
    ASSERT_EQ(Run("add a.txt").exit_code, 0);
  }

  void TearDown() override {
    for (const fs::path& pid : fakes_)
      Shell(pid.parent_path(), "kill $(cat " + ShellQuote(pid.string()) + ")");
  }

  // Runs conveyor in the project and checks that nothing it printed holds a
  // planted secret.
  testing::CliResult Run(const std::string& args, const std::string& env = "") {
    testing::CliResult result = RunConveyor(project_, args, base_env_ + env);
    ExpectNoSecret(result.out + result.err, "conveyor " + args);
    return result;
  }

  // Starts the fake S3 in `mode` accepting kKeyId; its endpoint.
  std::string StartFakeS3(const std::string& mode) {
    const fs::path dir = dir_ / ("fake-" + mode);
    fs::create_directories(dir);
    WriteFile(dir / "fake_s3.py", kFakeS3);
    EXPECT_EQ(Shell(dir, "/usr/bin/python3 fake_s3.py " + mode + " " + kKeyId +
                             " >/dev/null 2>&1 & echo $! >fake.pid"),
              0);
    fakes_.push_back(dir / "fake.pid");
    for (int i = 0; i < testing::ScaledCount(100) && !fs::exists(dir / "port"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return "http://127.0.0.1:" + ReadFile(dir / "port");
  }

  // Adds S3 remote `name` (s3://b/p) at `endpoint`, its keys in
  // .dvc/config.local as the docs say to keep them.
  void AddS3Remote(const std::string& name, const std::string& endpoint) {
    ASSERT_EQ(Run("remote add -d " + name + " s3://b/p").exit_code, 0);
    ASSERT_EQ(Run("remote modify " + name + " endpointurl " + endpoint).exit_code, 0);
    for (auto [option, value] :
         {std::pair{"access_key_id", kKeyId}, std::pair{"secret_access_key", kSecretKey},
          std::pair{"session_token", kSessionToken}}) {
      auto set = Run("remote modify --local " + name + " " + option + " " + ShellQuote(value));
      ASSERT_EQ(set.exit_code, 0) << set.err;
      EXPECT_EQ(set.out + set.err, "");
    }
    // Planted where conveyor reads them (the grep above is not vacuous).
    ASSERT_NE(ReadFile(project_ / ".dvc/config.local").find(kSecretKey), std::string::npos);
  }

  testing::TempDir dir_;
  fs::path project_;
  fs::path home_;
  std::string base_env_;
  std::vector<fs::path> fakes_;
};

TEST_F(SecretsTest, S3KeysFromConfigLocalStayOutOfListsTransfersAndJson) {
  const std::string endpoint = StartFakeS3("ok");
  AddS3Remote("store", endpoint);

  auto list = Run("remote list");
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_EQ(list.out, "store\ts3://b/p\t(default)\n");
  auto list_json = Run("remote list --json");
  ASSERT_EQ(list_json.exit_code, 0) << list_json.err;
  const Json remotes = Json::parse(list_json.out);
  EXPECT_EQ(remotes[0]["url"], "s3://b/p");
  EXPECT_EQ(remotes[0]["options"]["endpointurl"], endpoint);
  EXPECT_EQ(remotes[0]["options"]["access_key_id"], "***");
  EXPECT_EQ(remotes[0]["options"]["secret_access_key"], "***");
  EXPECT_EQ(remotes[0]["options"]["session_token"], "***");

  // A secret set in the committed file draws a warning that does not repeat it.
  auto committed = Run("remote modify store secret_access_key " + ShellQuote(kSecretKey));
  EXPECT_EQ(committed.exit_code, 0);
  ExpectHas(committed.err, "'secret_access_key' is a secret and .dvc/config is committed");
  ASSERT_EQ(Run("remote modify store secret_access_key -u").exit_code, 0);

  // The fake accepts only requests signed with kKeyId: the keys were used.
  auto push = Run("push --json");
  ASSERT_EQ(push.exit_code, 0) << push.err;
  EXPECT_EQ(Json::parse(push.out)["remote"], "s3://b/p");
  auto status = Run("status --cloud --json");
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(Json::parse(status.out)["remote"], "s3://b/p");
  auto in_sync = Run("status --cloud -v");
  EXPECT_EQ(in_sync.exit_code, 0);
  ExpectHas(in_sync.out, "s3://b/p");
  fs::remove_all(project_ / ".dvc/cache");
  fs::remove(project_ / "a.txt");
  auto pull = Run("pull --json -v");
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_EQ(ReadFile(project_ / "a.txt"), "hello\n");
  EXPECT_EQ(Run("fetch").exit_code, 0);
}

TEST_F(SecretsTest, S3ServerThatEchoesTheRequestIsQuotedWithoutTheKeys) {
  AddS3Remote("store", StartFakeS3("echo"));
  for (const char* command : {"push", "push --json", "status --cloud --json", "pull"}) {
    auto failed = Run(command);
    EXPECT_EQ(failed.exit_code, 1) << command;
    // The server's message is quoted, the key id and token it echoed masked.
    ExpectHas(failed.err, "(InvalidArgument: cannot take AWS4-HMAC-SHA256 Credential=***/");
    ExpectHas(failed.err, " token ***)");
  }
}

TEST_F(SecretsTest, S3KeysFromTheEnvironmentAndTheSharedFile) {
  const std::string endpoint = StartFakeS3("ok");  // accepts kKeyId only: these get 403
  ASSERT_EQ(Run("remote add -d store s3://b/p").exit_code, 0);
  ASSERT_EQ(Run("remote modify store endpointurl " + endpoint).exit_code, 0);

  const std::string env = std::string("AWS_ACCESS_KEY_ID=") + kEnvKeyId +
                          " AWS_SECRET_ACCESS_KEY=" + kEnvSecret +
                          " AWS_SESSION_TOKEN=" + kEnvToken + " ";
  for (const char* command : {"push", "status --cloud --json"}) {
    auto denied = Run(command, env);
    EXPECT_EQ(denied.exit_code, 1) << command;
    ExpectHas(denied.err,
              "s3://b/p: access denied (InvalidAccessKeyId): check the credentials (from "
              "environment)");
  }

  fs::create_directories(home_ / ".aws");
  WriteFile(home_ / ".aws/credentials", std::string("[default]\naws_access_key_id = ") +
                                            kFileKeyId +
                                            "\naws_secret_access_key = " + kFileSecret + "\n");
  auto denied = Run("push");
  EXPECT_EQ(denied.exit_code, 1);
  ExpectHas(denied.err, "access denied (InvalidAccessKeyId): check the credentials (from " +
                            (home_ / ".aws/credentials").string() + " [default])");
}

TEST_F(SecretsTest, SftpPasswordsInTheUrlAndOptions) {
  const std::string port = std::to_string(testing::FreePort());  // nothing listens
  const std::string shown = "ssh://alice:***@127.0.0.1:" + port + "/srv/dvc";
  auto add = Run("remote add -d nas " + ShellQuote("sftp://alice:" + std::string(kUrlPassword) +
                                                   "@127.0.0.1:" + port + "/srv/dvc"));
  ASSERT_EQ(add.exit_code, 0) << add.err;
  ExpectHas(add.err, "the url of 'nas' holds a password and .dvc/config is committed to Git");
  ASSERT_NE(ReadFile(project_ / ".dvc/config").find(kUrlPassword), std::string::npos);
  ASSERT_EQ(Run("remote modify --local nas password " + std::string(kSftpPassword)).exit_code, 0);
  ASSERT_EQ(Run("remote modify --local nas passphrase " + std::string(kPassphrase)).exit_code, 0);

  auto list = Run("remote list");
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_EQ(list.out, "nas\t" + shown + "\t(default)\n");
  auto list_json = Run("remote list --json");
  ASSERT_EQ(list_json.exit_code, 0);
  const Json remotes = Json::parse(list_json.out);
  EXPECT_EQ(remotes[0]["url"], shown);
  EXPECT_EQ(remotes[0]["options"]["password"], "***");
  EXPECT_EQ(remotes[0]["options"]["passphrase"], "***");

  for (const char* command : {"push", "status --cloud --json"}) {
    auto unreachable = Run(command);
    EXPECT_EQ(unreachable.exit_code, 1) << command;
    ExpectHas(unreachable.err, "conveyor: error: " + shown + "/");
    ExpectHas(unreachable.err, ": cannot connect to 127.0.0.1");
  }

  // URLs that fail to parse are quoted masked, or not at all.
  auto port_error = Run("remote add bad " +
                        ShellQuote("ssh://alice:" + std::string(kUrlPassword) + "@host:99999/srv"));
  EXPECT_EQ(port_error.exit_code, 1);
  ExpectHas(port_error.err, "'ssh://alice:***@host:99999/srv': port '99999' is not a number");
  auto s3_keys = Run("remote add keys " +
                     ShellQuote(std::string("s3://") + kKeyId + ":" + kSecretKey + "@bucket/p"));
  EXPECT_EQ(s3_keys.exit_code, 1);
  ExpectHas(s3_keys.err, "an s3:// URL carries no credentials");
  auto other =
      Run("remote add g " + ShellQuote("gs://alice:" + std::string(kUrlPassword) + "@bucket/p"));
  EXPECT_EQ(other.exit_code, 1);
  ExpectHas(other.err, "'gs://alice:***@bucket/p': conveyor cannot store to gs:// remotes");
}

TEST_F(SecretsTest, ConfigLinesAreQuotedWithoutTheirValues) {
  const std::pair<std::string, std::string> cases[] = {
      // A YAML habit: the key quoted, the value not.
      {"['remote \"s\"']\n    secret_access_key: " + std::string(kSecretKey) + "\n",
       ".dvc/config.local:2: expected 'key = value', found 'secret_access_key ...'"},
      // A key pasted on a line of its own.
      {"['remote \"s\"']\n    " + std::string(kKeyId) + "\n",
       ".dvc/config.local:2: expected 'key = value'\n"},
      {"secret_access_key = " + std::string(kSecretKey) + "\n",
       ".dvc/config.local:1: key 'secret_access_key' comes before any [section]"},
      {"['remote \"s\"']\n    password = \"" + std::string(kSftpPassword) + "\n",
       ".dvc/config.local:2: the value of 'password': unterminated quote"},
      {"['remote \"s\"']\n    password = \"" + std::string(kSftpPassword) + "\" x\n",
       ".dvc/config.local:2: unexpected text after the quoted value of 'password'"},
  };
  for (const auto& [text, error] : cases) {
    WriteFile(project_ / ".dvc/config.local", text);
    auto list = Run("remote list --json");
    EXPECT_EQ(list.exit_code, 1) << text;
    ExpectHas(list.err, error);
  }
}

TEST_F(SecretsTest, RegistryUrlsWithAPassword) {
  const std::string port = std::to_string(testing::FreePort());
  const std::string postgres =
      "postgresql://reg:" + std::string(kPgPassword) + "@127.0.0.1:" + port + "/registry";
  const std::string mysql = "mysql://reg:" + std::string(kPgPassword) + "@127.0.0.1/registry";
  auto scheme = Run("exp show --json --registry " + ShellQuote(mysql));
  EXPECT_EQ(scheme.exit_code, 1);
  ExpectHas(scheme.err, "registry URL 'mysql://reg:***@127.0.0.1/registry' has unsupported scheme");
  for (const std::string& args : {"exp show --registry " + ShellQuote(postgres),
                                  "model list --json --registry " + ShellQuote(postgres)}) {
    auto unreachable = Run(args);
    EXPECT_EQ(unreachable.exit_code, 1) << args;
    ExpectHas(unreachable.err, "127.0.0.1");
  }
  auto from_env = Run("exp show", "CONVEYOR_REGISTRY=" + ShellQuote(postgres) + " ");
  EXPECT_EQ(from_env.exit_code, 1);
  ExpectHas(from_env.err, "127.0.0.1");
}

TEST_F(SecretsTest, ServeFromARemoteNamesItMasked) {
  const std::string port = std::to_string(testing::FreePort());  // nothing listens
  const std::string serve = "serve --no-auth --port " + std::to_string(testing::FreePort()) +
                            " --state-dir mirror -m digits@production ";
  auto sftp = Run(serve + "--remote " +
                      ShellQuote("sftp://alice:" + std::string(kUrlPassword) +
                                 "@127.0.0.1:" + port + "/srv/dvc"),
                  "timeout 120 ");
  EXPECT_NE(sftp.exit_code, 0);
  ExpectHas(sftp.err, "Mirroring ssh://alice:***@127.0.0.1:" + port + "/srv/dvc in ");
  ExpectHas(sftp.err, "cannot update from the remote (ssh://alice:***@127.0.0.1:");

  const std::string echo = StartFakeS3("echo");
  auto s3 = Run(serve + "--remote s3://b/p --remote-option endpointurl=" + echo +
                    " --remote-option access_key_id=" + kKeyId +
                    " --remote-option secret_access_key=" + ShellQuote(kSecretKey) +
                    " --remote-option session_token=" + kSessionToken,
                "timeout 120 ");
  EXPECT_NE(s3.exit_code, 0);
  ExpectHas(s3.err, "Mirroring s3://b/p in ");
  ExpectHas(s3.err, "Credential=***/");

  auto malformed = Run(serve + "--remote s3://b/p --remote-option " +
                       ShellQuote("secret_access_key:" + std::string(kSecretKey)));
  EXPECT_EQ(malformed.exit_code, 2);
  ExpectHas(malformed.err, "--remote-option 'secret_access_key ...' is not KEY=VALUE");
}

TEST_F(SecretsTest, ReportsAndCiTokens) {
  // A Git project with secrets in its config and environment.
  ASSERT_EQ(Shell(project_,
                  "git init -q . && git add -A && git -c user.name=a -c "
                  "user.email=a@b commit -qm init"),
            0);
  AddS3Remote("store", "http://127.0.0.1:" + std::to_string(testing::FreePort()));
  const std::string ci_env =
      std::string("AWS_SECRET_ACCESS_KEY=") + kEnvSecret + " CONVEYOR_GITLAB_TOKEN=" + kCiToken +
      " GITLAB_TOKEN=" + kCiToken + " CI_JOB_TOKEN=" + kJobToken + " GITHUB_TOKEN=" + kCiToken +
      " GITLAB_CI=true CI_SERVER_URL=http://127.0.0.1:" + std::to_string(testing::FreePort()) +
      " CI_PROJECT_ID=7 CI_PROJECT_PATH=g/p CI_MERGE_REQUEST_IID=3 CI_COMMIT_SHA=$(git rev-parse "
      "HEAD) ";
  auto md = Run("report", ci_env);
  ASSERT_EQ(md.exit_code, 0) << md.err;
  ExpectHas(md.out, "Commit `");
  auto json = Run("report --json", ci_env);
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_TRUE(Json::parse(json.out).is_object());
  auto html = Run("report --html -o html", ci_env);
  ASSERT_EQ(html.exit_code, 0) << html.err;
  for (const fs::path& dir : {project_ / "conveyor_report", project_ / "html"}) {
    int files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (entry.is_regular_file()) {
        ExpectNoSecret(ReadFile(entry.path()), entry.path().string());
        ++files;
      }
    }
    EXPECT_GT(files, 0) << dir;
  }

  // Posting to a forge that does not answer: the token stays out of the error.
  auto post = Run("report --post", ci_env);
  EXPECT_EQ(post.exit_code, 1);
  ExpectHas(post.err, "unreachable");
}

}  // namespace
}  // namespace conveyor
