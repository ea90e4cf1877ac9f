// End-to-end, in a real browser: `conveyor serve` on the digits example's
// trained model, its Swagger UI page at /docs opened in headless Chromium
// (Debian's /usr/bin/chromium, driven by playwright-core from web/), and a
// digit uploaded through the page's "Try it out" form. The browser part is
// tests/browser/swagger_upload.mjs; this test sets up the project and the
// server and checks what the script saw. Also checks the headers the page's
// files are served with, over curl.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>

#include "testing/cli_runner.h"
#include "testing/serve_process.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::Shell;
using testing::ShellQuote;

const std::string kSource = CONVEYOR_SOURCE_DIR;

class DocsBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists("/usr/bin/chromium"))
        << "Debian's chromium is needed (scripts/install-deps.sh installs it)";
    ASSERT_TRUE(fs::exists(kSource + "/web/node_modules/playwright-core"))
        << "run npm ci --prefix web (scripts/install-deps.sh does)";
    testing::TrainDigitsProject(kSource, dir_.path(), env_);
    ASSERT_FALSE(HasFatalFailure());
    server_.emplace(dir_.path());
    url_ = server_->url();
    server_->Start("--no-auth --threads 2");
  }

  void TearDown() override {
    if (server_.has_value() && fs::exists(dir_ / "pid")) {
      EXPECT_EQ(server_->Stop(), "0\n");
    }
  }

  testing::TempDir dir_;
  std::string env_;
  std::optional<testing::ServeProcess> server_;
  std::string url_;
};

// One test, so that the example is trained once.
TEST_F(DocsBrowserTest, UploadsADigitThroughSwaggerUiAndServesItsFiles) {
  // `timeout` backs up the script's own 60 s limit.
  std::string command = "timeout 90 node " +
                        ShellQuote(kSource + "/tests/browser/swagger_upload.mjs") + " " + url_ +
                        " " + ShellQuote(kSource + "/examples/digits/sample-digit.pgm") +
                        " docs.png >browser.out 2>browser.err";
  int status = Shell(dir_.path(), command);
  // The screenshots outlive the temporary directory beside the test binary
  // (tests/ in the build tree), to look at after a run.
  for (const char* shot : {"docs.png", "docs-failed.png"}) {
    if (fs::exists(dir_ / shot)) {
      fs::copy_file(dir_ / shot, fs::current_path() / (std::string("docs_browser_test-") + shot),
                    fs::copy_options::overwrite_existing);
    }
  }
  std::string out = ReadFile(dir_ / "browser.out");
  ASSERT_EQ(status, 0) << out << ReadFile(dir_ / "browser.err");
  EXPECT_NE(out.find("status 200"), std::string::npos) << out;
  EXPECT_NE(out.find("\"class\""), std::string::npos) << out;
  ASSERT_TRUE(fs::exists(dir_ / "docs.png"));
  EXPECT_GT(fs::file_size(dir_ / "docs.png"), 10'000u);
  // The request went through the server: the access log names the route.
  EXPECT_NE(ReadFile(dir_ / "serve.err").find("\"route\":\"/predict\""), std::string::npos);

  // The page, its files and the document, with their headers, over curl.
  auto headers = [&](const std::string& path, const std::string& extra = "") {
    Shell(dir_.path(), "curl -s -D headers -o body " + extra + " " + url_ + path);
    return ReadFile(dir_ / "headers");
  };
  std::string page = headers("/docs");
  EXPECT_NE(page.find("200 OK"), std::string::npos) << page;
  EXPECT_NE(page.find("text/html"), std::string::npos) << page;
  std::string bundle = headers("/docs/swagger-ui-bundle.js");
  EXPECT_NE(bundle.find("text/javascript"), std::string::npos) << bundle;
  EXPECT_NE(bundle.find("max-age=86400"), std::string::npos) << bundle;
  size_t etag = bundle.find("ETag: ");
  ASSERT_NE(etag, std::string::npos) << bundle;
  std::string value = bundle.substr(etag + 6, bundle.find('\r', etag) - etag - 6);
  std::string again = headers("/docs/swagger-ui-bundle.js", "-H 'If-None-Match: " + value + "'");
  EXPECT_NE(again.find("304"), std::string::npos) << again;
  std::string spec = headers("/openapi.json");
  EXPECT_NE(spec.find("application/json"), std::string::npos) << spec;
  EXPECT_NE(ReadFile(dir_ / "body").find("\"/v2/models/{name}/infer\""), std::string::npos);
}

}  // namespace
}  // namespace conveyor
