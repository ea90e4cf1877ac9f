// End-to-end: bad input that no other test sent through the real binary —
// remotes that are misnamed, unconfigured, empty, unreachable or answering
// S3 errors (403, 404, 500) from a fake server; lock, params, .dvc and
// dvc.yaml files that are broken; and, over HTTP, an oversized header, an
// empty and a truncated upload. Each case is a row of the table in
// docs/robustness.md ("Bad input: what each kind gets").
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "testing/cli_runner.h"
#include "testing/sample_png.h"
#include "testing/serve_process.h"
#include "testing/temp_dir.h"
#include "testing/time_scale.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunConveyor;
using testing::Shell;
using testing::WriteFile;

// Contains `needle`, with the whole text on failure.
void ExpectHas(const std::string& text, const std::string& needle) {
  EXPECT_NE(text.find(needle), std::string::npos) << "missing: " << needle << "\nin: " << text;
}

// md5 of "hello\n", a.txt's content.
constexpr char kHelloMd5[] = "b1946ac92492d2347c6235b4d2611184";

// A project with one tracked file, a.txt.
class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    project_ = dir_ / "project";
    fs::create_directories(project_);
    ASSERT_EQ(Run("init --no-scm").exit_code, 0);
    WriteFile(project_ / "a.txt", "hello\n");
    auto add = Run("add a.txt");
    ASSERT_EQ(add.exit_code, 0) << add.err;
  }
  testing::CliResult Run(const std::string& args) { return RunConveyor(project_, args); }
  void WriteConfig(const std::string& text) { WriteFile(project_ / ".dvc/config", text); }

  testing::TempDir dir_;
  fs::path project_;
};

// --- remotes ------------------------------------------------------------------

TEST_F(BadInputTest, UnknownRemoteNameListsTheKnownOnes) {
  ASSERT_EQ(Run("remote add -d store ../store").exit_code, 0);
  auto push = Run("push -r nosuch");
  EXPECT_EQ(push.exit_code, 1);
  EXPECT_EQ(push.err, "conveyor: error: remote 'nosuch' does not exist; known remotes: store\n");
}

TEST_F(BadInputTest, DefaultRemoteThatIsNotDefined) {
  WriteConfig("[core]\n    remote = ghost\n");
  auto push = Run("push");
  EXPECT_EQ(push.exit_code, 1);
  EXPECT_EQ(push.err, "conveyor: error: remote 'ghost' does not exist; known remotes: none\n");
}

TEST_F(BadInputTest, RemoteWithoutUrlNamesItsLine) {
  WriteConfig("[core]\n    remote = a\n['remote \"a\"']\n    region = x\n");
  auto push = Run("push");
  EXPECT_EQ(push.exit_code, 1);
  EXPECT_EQ(push.err, "conveyor: error: .dvc/config:3: remote 'a' has no url\n");
}

TEST_F(BadInputTest, PullFromAnEmptyRemoteNamesWhatIsMissing) {
  ASSERT_EQ(Run("remote add -d store ../store").exit_code, 0);  // never pushed to
  fs::remove_all(project_ / ".dvc/cache");
  fs::remove(project_ / "a.txt");
  auto pull = Run("pull");
  EXPECT_EQ(pull.exit_code, 1);
  // The remote is named as .dvc/config has it (relative to .dvc/), not as given.
  ExpectHas(pull.err,
            std::string("1 objects are neither in the cache nor on ../../store: ") + kHelloMd5);
  ExpectHas(pull.err,
            "conveyor: error: not in the cache after fetching, so not checked out: a.txt");
  EXPECT_FALSE(fs::exists(project_ / "a.txt"));
}

// An S3 endpoint that answers every request with one S3 error; its port is
// written to `port`.
constexpr char kFakeS3[] = R"(import http.server, sys
status, code = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get('Content-Length') or 0)
        if n: self.rfile.read(n)
        body = ('<Error><Code>%s</Code><Message>fake</Message></Error>' % code).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/xml')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD': self.wfile.write(body)
    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = answer
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
open('port.tmp', 'w').write(str(s.server_port))
import os; os.rename('port.tmp', 'port')
s.serve_forever()
)";

class BadS3Test : public BadInputTest {
 protected:
  void TearDown() override {
    if (fs::exists(dir_ / "fake.pid")) {
      Shell(dir_.path(), "kill $(cat fake.pid)");
    }
  }

  // Points the default remote at `endpoint` with credentials in the config.
  void UseEndpoint(const std::string& endpoint) {
    WriteConfig("[core]\n    remote = s\n['remote \"s\"']\n    url = s3://b/p\n    endpointurl = " +
                endpoint + "\n    access_key_id = AKIDFAKE\n    secret_access_key = " + kSecret +
                "\n");
  }

  // Starts the fake answering `status` with S3 error `code`; the endpoint.
  std::string StartFake(int status, const std::string& code) {
    WriteFile(dir_ / "fake_s3.py", kFakeS3);
    EXPECT_EQ(Shell(dir_.path(), "/usr/bin/python3 fake_s3.py " + std::to_string(status) + " " +
                                     code + " >/dev/null 2>&1 & echo $! >fake.pid"),
              0);
    for (int i = 0; i < testing::ScaledCount(100) && !fs::exists(dir_ / "port"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "http://127.0.0.1:" + ReadFile(dir_ / "port");
  }

  static constexpr char kSecret[] = "not-the-real-secret-42";
};

TEST_F(BadS3Test, WrongSecretIsAccessDeniedWithoutTheSecret) {
  UseEndpoint(StartFake(403, "SignatureDoesNotMatch"));
  auto push = Run("push");
  EXPECT_EQ(push.exit_code, 1);
  EXPECT_EQ(push.err,
            "conveyor: error: s3://b/p: access denied (SignatureDoesNotMatch): check the "
            "credentials (from remote options)\n");
  EXPECT_EQ(push.err.find(kSecret), std::string::npos);
}

TEST_F(BadS3Test, MissingBucketIsNamed) {
  const std::string endpoint = StartFake(404, "NoSuchBucket");
  UseEndpoint(endpoint);
  auto push = Run("push");
  EXPECT_EQ(push.exit_code, 1);
  EXPECT_EQ(push.err, "conveyor: error: s3://b/p: no such bucket 'b' at " + endpoint + "\n");
}

TEST_F(BadS3Test, ServerErrorsAreRetriedThenReported) {
  UseEndpoint(StartFake(500, "InternalError"));
  auto status = Run("status --cloud");
  EXPECT_EQ(status.exit_code, 1);
  ExpectHas(status.err, "conveyor: error: s3://b/p: GET failed with InternalError: fake after ");
  ExpectHas(status.err, " attempts");
}

TEST_F(BadS3Test, UnreachableEndpointIsOneLine) {
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(testing::FreePort());
  UseEndpoint(endpoint);
  auto push = Run("push");
  EXPECT_EQ(push.exit_code, 1);
  ExpectHas(push.err, "conveyor: error: s3://b/p: cannot reach " + endpoint);
  EXPECT_EQ(push.err.find('\n'), push.err.size() - 1) << push.err;
}

// --- configs and files --------------------------------------------------------

TEST_F(BadInputTest, LockFileWithANumberForItsSchema) {
  WriteFile(project_ / "dvc.yaml", "stages:\n  s:\n    cmd: echo hi > o.txt\n    outs: [o.txt]\n");
  WriteFile(project_ / "dvc.lock", "schema: 2.0\nstages: {}\n");
  auto status = Run("status");
  EXPECT_EQ(status.exit_code, 1);
  ExpectHas(status.err, "dvc.lock:1:9: invalid schema version '2.0' (expected '2.0')");
}

TEST_F(BadInputTest, ParamsFileThatIsNotYamlStopsTheRun) {
  WriteFile(project_ / "params.yaml", "train: [1\n");
  WriteFile(project_ / "dvc.yaml",
            "stages:\n  s:\n    cmd: echo ${train.lr} > o.txt\n    outs: [o.txt]\n");
  auto repro = Run("repro");
  EXPECT_EQ(repro.exit_code, 1);
  ExpectHas(repro.err, "params.yaml:2:1: end of sequence flow not found");
  EXPECT_FALSE(fs::exists(project_ / "o.txt"));
  EXPECT_FALSE(fs::exists(project_ / "dvc.lock"));
}

TEST_F(BadInputTest, ParamsFileThatIsAList) {
  WriteFile(project_ / "params.yaml", "- 1\n");
  WriteFile(project_ / "dvc.yaml",
            "stages:\n  s:\n    cmd: echo x > o.txt\n    params: [train.lr]\n    outs: [o.txt]\n");
  auto repro = Run("repro");
  EXPECT_EQ(repro.exit_code, 1);
  ExpectHas(repro.err, "expected a dictionary, got 'list' in file 'params.yaml'");
}

TEST_F(BadInputTest, BrokenDvcFileStopsStatusAndCheckout) {
  WriteFile(project_ / "a.txt.dvc", "outz: []\n");
  const std::string error =
      "conveyor: error: a.txt.dvc:1:1: unknown key 'outz' (expected outs, desc, frozen, meta)\n";
  for (const char* command : {"status", "checkout"}) {
    auto result = Run(command);
    EXPECT_EQ(result.exit_code, 1) << command;
    EXPECT_EQ(result.err, error) << command;
  }
}

TEST_F(BadInputTest, BinaryDvcYaml) {
  WriteFile(project_ / "dvc.yaml", std::string("\x00\x01\xff\xfe", 4));
  auto repro = Run("repro");
  EXPECT_EQ(repro.exit_code, 1);
  EXPECT_EQ(repro.err,
            "conveyor: error: dvc.yaml:1:1: expected a mapping at the top level, got str\n");
}

// --- HTTP -----------------------------------------------------------------------

// `conveyor serve` on the trained digits example, sent what a client should
// not send; it answers each with a JSON error and keeps serving.
TEST(BadHttpInputTest, OversizedHeaderEmptyAndTruncatedUploads) {
  testing::TempDir dir;
  std::string env;
  std::string label;
  testing::TrainDigitsProject(CONVEYOR_SOURCE_DIR, dir.path(), env);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  testing::WriteSamplePng(dir / "model/model.yaml", dir / "sample.png", label);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  testing::ServeProcess server(dir.path());
  server.Start("--no-auth --threads 2");
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  const std::string url = server.url();

  // A 20 KiB header line (the limit is 16 KiB).
  WriteFile(dir / "big.hdr", "X-Big: " + std::string(20 * 1024, 'a') + "\n");
  auto [big, big_status] = server.Curl("-H @big.hdr " + url + "/readyz");
  EXPECT_EQ(big_status, 431);
  EXPECT_EQ(big["error"]["code"], "header_too_large") << big.dump();

  WriteFile(dir / "empty.png", "");
  auto [empty, empty_status] = server.Curl("-F file=@empty.png " + url + "/predict");
  EXPECT_EQ(empty_status, 422);
  ExpectHas(empty.dump(), "empty image");

  const std::string png = ReadFile(dir / "sample.png");
  WriteFile(dir / "cut.png", png.substr(0, png.size() / 2));
  auto [cut, cut_status] = server.Curl("-F file=@cut.png " + url + "/predict");
  EXPECT_EQ(cut_status, 422);
  ExpectHas(cut.dump(), "png: ");

  EXPECT_EQ(server.Curl("-F file=@sample.png " + url + "/predict").second, 200);
  EXPECT_EQ(server.Stop(), "0\n");
}

}  // namespace
}  // namespace conveyor
