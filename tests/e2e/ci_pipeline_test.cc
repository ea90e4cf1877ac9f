// End-to-end: the CI templates of `conveyor init --ci` (src/cli/ci_templates.h).
// They are the digits example's files byte for byte; the GitLab one runs for
// real under gitlab-ci-local's shell executor as a merge request pipeline
// (lint, pipeline, report posted to a local fake GitLab API); the GitHub one
// is checked statically (YAML, jobs, needs, conditions, action-validator).
// gitlab-ci-local and action-validator come from tests/ci_local/node_modules
// (npm ci --prefix tests/ci_local); without them those tests are skipped.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "ci/testing/fake_gitlab.h"
#include "testing/cli_runner.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunConveyor;
using testing::Shell;
using testing::ShellQuote;

const fs::path kSource = CONVEYOR_SOURCE_DIR;
const fs::path kCiLocal = kSource / "tests/ci_local/node_modules/.bin";
constexpr const char* kCommit = "git -c user.name=a -c user.email=a@b commit -qm";

TEST(CiTemplatesTest, InitWritesTheExampleFilesAndRefusesToOverwrite) {
  testing::TempDir dir;
  ASSERT_EQ(Shell(dir.path(), "git init -q ."), 0);
  auto gitlab = RunConveyor(dir.path(), "init --ci gitlab");
  ASSERT_EQ(gitlab.exit_code, 0) << gitlab.err;
  EXPECT_NE(gitlab.out.find("Initialized a project in "), std::string::npos);
  EXPECT_NE(gitlab.out.find("Wrote .gitlab-ci.yml"), std::string::npos) << gitlab.out;
  // In an existing project only the pipeline is written.
  auto github = RunConveyor(dir.path(), "init --ci github");
  ASSERT_EQ(github.exit_code, 0) << github.err;
  EXPECT_EQ(github.out, "Wrote .github/workflows/conveyor.yml\n");
  EXPECT_EQ(ReadFile(dir / ".gitlab-ci.yml"), ReadFile(kSource / "examples/digits/.gitlab-ci.yml"));
  EXPECT_EQ(ReadFile(dir / ".github/workflows/conveyor.yml"),
            ReadFile(kSource / "examples/digits/.github/workflows/conveyor.yml"));

  auto again = RunConveyor(dir.path(), "init --ci gitlab");
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find(".gitlab-ci.yml exists; use --force to overwrite it"), std::string::npos)
      << again.err;
  ASSERT_EQ(Shell(dir.path(), "echo changed > .gitlab-ci.yml"), 0);
  auto forced = RunConveyor(dir.path(), "init --ci gitlab --force");
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(ReadFile(dir / ".gitlab-ci.yml"), ReadFile(kSource / "examples/digits/.gitlab-ci.yml"));
  EXPECT_NE(RunConveyor(dir.path(), "init --ci jenkins").exit_code, 0);
}

// The GitHub workflow cannot run here: its structure is checked with
// Debian's python3-yaml, and its schema with action-validator.
TEST(CiTemplatesTest, GitHubWorkflowIsValid) {
  const fs::path workflow = kSource / "examples/digits/.github/workflows/conveyor.yml";
  const std::string check = R"(
import sys, yaml
w = yaml.safe_load(open(sys.argv[1]))
def j_permissions(w, name):
    return w['jobs'][name].get('permissions')
on = w.get('on', w.get(True))
assert set(on) == {'pull_request', 'push'} and on['push']['branches'] == ['main'], on
assert w['permissions'] == {'contents': 'read'}, w['permissions']
assert w['concurrency']['cancel-in-progress'] == "${{ github.event_name == 'pull_request' }}"
assert j_permissions(w, 'report') == {'contents': 'write', 'pull-requests': 'write'}
assert j_permissions(w, 'image') == {'contents': 'read', 'packages': 'write'}
for name in ('lint', 'pipeline', 'publish', 'deploy-kubernetes', 'deploy-replace'):
    assert j_permissions(w, name) is None, name
j = w['jobs']
assert list(j) == ['lint', 'pipeline', 'report', 'publish', 'image', 'deploy-kubernetes', 'deploy-replace'], list(j)
assert j['pipeline']['needs'] == 'lint' and j['report']['needs'] == 'pipeline'
assert j['report']['if'] == "github.event_name == 'pull_request'"
main = "github.event_name == 'push' && github.ref == 'refs/heads/main'"
for name in ('publish', 'image', 'deploy-kubernetes', 'deploy-replace'):
    assert main in j[name]['if'], name
assert "vars.CONVEYOR_DEPLOY == 'kubernetes'" in j['deploy-kubernetes']['if']
assert "vars.CONVEYOR_DEPLOY == 'replace'" in j['deploy-replace']['if']
assert j['deploy-kubernetes']['needs'] == ['publish', 'image'] and j['deploy-replace']['needs'] == 'publish'
for name in ('pipeline', 'report', 'publish'):
    checkout = j[name]['steps'][0]
    assert checkout['uses'] == 'actions/checkout@v4' and checkout['with']['fetch-depth'] == 0, name
assert any(s.get('uses', '').startswith('actions/cache@') for s in j['pipeline']['steps'])
assert any(s.get('uses', '').startswith('docker/build-push-action@') for s in j['image']['steps'])
assert any(s.get('run') == 'conveyor report --post --update' for s in j['report']['steps'])
)";
  ASSERT_EQ(Shell(kSource,
                  "/usr/bin/python3 -c " + ShellQuote(check) + " " + ShellQuote(workflow.string())),
            0);
  if (!fs::exists(kCiLocal / "action-validator"))
    GTEST_SKIP() << "no tests/ci_local/node_modules: run npm ci --prefix tests/ci_local";
  EXPECT_EQ(Shell(kSource, ShellQuote((kCiLocal / "action-validator").string()) + " " +
                               ShellQuote(workflow.string())),
            0);
}

// lint -> pipeline -> report as a merge request pipeline, in a copy of the
// digits example whose main has one run pushed to a folder remote. The jobs
// on the default branch (publish, build-image, deploy) are excluded by their
// rules in a merge request pipeline; image builds and deploys need Docker or
// a cluster, which this machine does not have.
TEST(CiTemplatesTest, GitLabPipelineRunsUnderGitLabCiLocal) {
  if (!fs::exists(kCiLocal / "gitlab-ci-local"))
    GTEST_SKIP() << "no tests/ci_local/node_modules: run npm ci --prefix tests/ci_local";
  if (Shell(kSource, "command -v rsync >/dev/null") != 0)
    GTEST_SKIP() << "gitlab-ci-local needs rsync (Debian's rsync)";
  testing::TempDir dir;
  const fs::path project = dir / "digits";
  const fs::path remote = dir / "remote";
  fs::create_directories(project);
  // The jobs run `conveyor` and the stage programs from PATH, as on a shell
  // runner: <build>/src/cli and <build>/bin.
  const fs::path binary_dir = fs::path(std::getenv("CONVEYOR_BIN")).parent_path();
  const fs::path stage_dir = binary_dir.parent_path().parent_path() / "bin";
  const std::string env = "PATH=" + ShellQuote(binary_dir.string()) + ":" +
                          ShellQuote(stage_dir.string()) + ":\"$PATH\" ";
  // Fewer trees: the test trains twice.
  ASSERT_EQ(Shell(project, "cp -r " + ShellQuote((kSource / "examples/digits").string()) +
                               "/. . && git init -q -b main . && sed -i 's/n_estimators: "
                               ".*/n_estimators: 20/' params.yaml"),
            0);
  ASSERT_EQ(RunConveyor(project, "init", env).exit_code, 0);
  ASSERT_EQ(
      RunConveyor(project, "remote add -d store " + ShellQuote(remote.string()), env).exit_code, 0);
  auto repro = RunConveyor(project, "repro", env);
  ASSERT_EQ(repro.exit_code, 0) << repro.err;
  ASSERT_EQ(RunConveyor(project, "push", env).exit_code, 0);
  ASSERT_EQ(Shell(project,
                  "git remote add origin https://gitlab.example.com/group/digits.git && "
                  "git add -A && " +
                      std::string(kCommit) +
                      " 'run 1' && git checkout -qb feature && sed -i 's/max_depth: "
                      ".*/max_depth: 3/' params.yaml && " +
                      "git -c user.name=a -c user.email=a@b commit -qam 'depth 3'"),
            0);

  ci::testing::FakeGitLab gitlab("42", {7}, "glpat-secret-token");
  ASSERT_TRUE(gitlab.Start().ok());
  auto var = [](const std::string& assignment) { return " --variable " + ShellQuote(assignment); };
  const std::string command =
      env + "timeout 170 " + ShellQuote((kCiLocal / "gitlab-ci-local").string()) +
      " --force-shell-executor --no-color --ignore-predefined-vars "
      "CI_PIPELINE_SOURCE,GITLAB_CI,CI_API_V4_URL,CI_SERVER_URL,CI_PROJECT_ID" +
      var("CI_PIPELINE_SOURCE=merge_request_event") + var("GITLAB_CI=true") +
      var("CI_API_V4_URL=" + gitlab.api_url()) + var("CI_SERVER_URL=" + gitlab.base_url()) +
      var("CI_PROJECT_ID=42") + var("CI_MERGE_REQUEST_IID=7") +
      var("CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main") +
      var("CONVEYOR_GITLAB_TOKEN=glpat-secret-token") +
      " lint pipeline report --needs > ../gcl.log 2>&1";
  // The log is outside the project: the pipeline job patches what Git sees changed.
  const int rc = Shell(project, command);
  const std::string log = ReadFile(dir / "gcl.log");
  EXPECT_EQ(rc, 0) << log;
  EXPECT_NE(log.find("PASS  lint"), std::string::npos) << log;
  EXPECT_NE(log.find("PASS  pipeline"), std::string::npos) << log;
  EXPECT_NE(log.find("PASS  report"), std::string::npos) << log;
  EXPECT_EQ(log.find("glpat-secret-token"), std::string::npos);
  std::vector<ci::testing::FakeNote> notes = gitlab.notes(7);
  ASSERT_EQ(notes.size(), 1u) << log;
  EXPECT_NE(notes[0].body.find("| params.yaml | train.max_depth | 4 | 3 |"), std::string::npos)
      << notes[0].body;
  EXPECT_TRUE(gitlab.violations().empty()) << ::testing::PrintToString(gitlab.violations());
}

}  // namespace
}  // namespace conveyor
