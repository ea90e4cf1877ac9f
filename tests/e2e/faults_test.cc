// End-to-end faults (issue 9): a disk that fills, a read-only cache, a
// registry database that is locked or gone, a remote that dies in the middle
// of a transfer, and model files deleted under a running server. Each test
// checks both halves of the promise: one clear `conveyor: error:` line (or
// JSON error) naming what is at fault, and the previous good state intact
// and still in service (dvc.lock, cache, registry rows, the served model);
// then, the fault removed, a rerun finishes. docs/robustness.md ("Faults")
// describes each; every one is a row of its table.
//
// Mounts (a small tmpfs, a read-only bind mount) need root, as CI runs; the
// tests that need them skip otherwise. s3rver (tests/s3) is needed for the
// remote tests, which skip without it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cache/hash_info.h"
#include "cache/object_store.h"
#include "common/md5.h"
#include "serving/test_digits_model.h"
#include "testing/cli_runner.h"
#include "testing/loopback.h"
#include "testing/s3rver_process.h"
#include "testing/sample_png.h"
#include "testing/serve_process.h"
#include "testing/temp_dir.h"
#include "testing/time_scale.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using testing::WaitUntil;
using Json = nlohmann::json;
using std::chrono::milliseconds;
using testing::CliResult;
using testing::ReadFile;
using testing::RunConveyor;
using testing::Shell;
using testing::ShellQuote;
using testing::WriteFile;

constexpr char kUpToDate[] = "Data and pipelines are up to date.\n";

// Exit status 1, and one `conveyor: error: ...` line holding every fragment:
// the last line of stderr (what ran before it, a stage's own output or a
// progress line, may come first) and the only error line.
void ExpectErrorLine(const CliResult& result, std::initializer_list<std::string> fragments) {
  EXPECT_EQ(result.exit_code, 1) << result.err;
  ASSERT_TRUE(result.err.ends_with("\n")) << result.err;
  const size_t start = result.err.rfind('\n', result.err.size() - 2) + 1;  // npos + 1 == 0
  const std::string line = result.err.substr(start);
  EXPECT_EQ(line.rfind("conveyor: error: ", 0), 0u) << result.err;
  EXPECT_EQ(result.err.find("conveyor: error: "), start) << "more than one error: " << result.err;
  for (const std::string& fragment : fragments)
    EXPECT_NE(line.find(fragment), std::string::npos)
        << "missing: " << fragment << "\nin: " << line;
}

// Every file under `dir` (relative path -> size); "<missing>" for no dir.
std::map<std::string, uintmax_t> Listing(const fs::path& dir) {
  std::map<std::string, uintmax_t> files;
  std::error_code ec;
  if (!fs::exists(dir, ec))
    return {{"<missing>", 0}};
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec))
      files[it->path().lexically_relative(dir).generic_string()] = it->file_size(ec);
  }
  return files;
}

// The objects under <cache>/files/md5 that hash to their names; anything
// else there (a temporary or partial file, a wrong hash) fails the test.
size_t CountGoodObjects(const fs::path& cache) {
  size_t good = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(cache / "files/md5", ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec))
      continue;
    std::string md5 = it->path().parent_path().filename().string() + it->path().filename().string();
    if (md5.ends_with(".dir"))
      md5.resize(md5.size() - 4);
    Result<FileDigest> digest = Md5File(it->path());
    if (digest.ok() && digest->md5 == md5) {
      ++good;
    } else {
      ADD_FAILURE() << "not a complete object: " << it->path();
    }
  }
  return good;
}

// `conveyor <args>` started in the background through the shell, its output
// in <dir>/<name>.log and exit status in <dir>/<name>.rc. Killed (its shell
// and conveyor, by pid) if still running when destroyed.
class Background {
 public:
  Background(const fs::path& dir, const std::string& name, const std::string& args)
      : dir_(dir), name_(name) {
    EXPECT_EQ(Shell(dir_, "(" + ShellQuote(std::getenv("CONVEYOR_BIN")) + " " + args + " >" +
                              name_ + ".log 2>&1 </dev/null & echo $! >" + name_ +
                              ".pid; wait $!; echo $? >" + name_ + ".rc.tmp; mv " + name_ +
                              ".rc.tmp " + name_ + ".rc) >/dev/null 2>&1 &"),
              0);
  }
  ~Background() {
    if (!fs::exists(dir_ / (name_ + ".rc")) && fs::exists(dir_ / (name_ + ".pid")))
      Shell(dir_, "kill -9 $(cat " + name_ + ".pid) 2>/dev/null || true");
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  // The exit status, or -1 if it is still running after `timeout`.
  // `timeout` is scaled (testing/time_scale.h).
  int Wait(milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + testing::Scaled(timeout);
    while (!fs::exists(dir_ / (name_ + ".rc"))) {
      if (std::chrono::steady_clock::now() >= deadline)
        return -1;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return std::stoi(ReadFile(dir_ / (name_ + ".rc")));
  }
  std::string log() const { return ReadFile(dir_ / (name_ + ".log")); }

 private:
  fs::path dir_;
  std::string name_;
};

class FaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    project_ = dir_ / "project";
    cache_ = project_ / ".dvc/cache";
    fs::create_directories(project_);
    auto init = Run("init --no-scm");
    ASSERT_EQ(init.exit_code, 0) << init.err;
  }
  void TearDown() override {
    for (auto it = mounts_.rbegin(); it != mounts_.rend(); ++it)
      Shell(dir_.path(), "umount " + ShellQuote(it->string()) + " 2>/dev/null");
  }

  CliResult Run(const std::string& args, const std::string& env = "") {
    return RunConveyor(project_, args, env);
  }

  // Mounts a tmpfs of `size` on `where` (created); false without the right.
  bool MountTmpfs(const fs::path& where, const std::string& size) {
    fs::create_directories(where);
    if (Shell(dir_.path(), "mount -t tmpfs -o size=" + size + " tmpfs " + ShellQuote(where) +
                               " 2>/dev/null") != 0)
      return false;
    mounts_.push_back(where);
    return true;
  }

  // Makes `dir` read-only for everyone, root included: a read-only bind
  // mount of it on itself (mode bits do not stop root). False without the
  // right to mount.
  bool MakeReadOnly(const fs::path& dir) {
    const std::string quoted = ShellQuote(dir);
    if (Shell(dir_.path(), "mount --bind " + quoted + " " + quoted + " 2>/dev/null") != 0)
      return false;
    mounts_.push_back(dir);
    return Shell(dir_.path(), "mount -o remount,bind,ro " + quoted + " 2>/dev/null") == 0;
  }

  void Unmount(const fs::path& where) {
    ASSERT_EQ(Shell(dir_.path(), "umount " + ShellQuote(where)), 0);
    std::erase(mounts_, where);
  }

  testing::TempDir dir_;
  fs::path project_;
  fs::path cache_;
  std::vector<fs::path> mounts_;
};

// --- disk full ----------------------------------------------------------------

// RLIMIT_FSIZE (`ulimit -f`) caps every file conveyor writes at 512 KiB to
// 1 MiB (the unit is the shell's), as a filling disk would: the cache copy
// of a 3 MB file fails. Portable: no mount, no root. conveyor ignores
// SIGXFSZ, so the write fails with EFBIG instead of the signal killing it
// half-way (cli/app.cc; before, it died and left a partial temporary file
// in the cache).
TEST_F(FaultsTest, DiskFullDuringAddKeepsTheCacheAndTrackedFiles) {
  WriteFile(project_ / "small.txt", "hello\n");
  ASSERT_EQ(Run("add small.txt").exit_code, 0);
  const std::string small_dvc = ReadFile(project_ / "small.txt.dvc");
  const auto cache_before = Listing(cache_);
  ASSERT_EQ(Shell(project_, "head -c 3000000 /dev/urandom > big.bin"), 0);

  auto full = Run("add big.bin", "ulimit -f 1024; ");
  ExpectErrorLine(full, {"big.bin", cache_.string() + "/files/md5/", "File too large"});
  EXPECT_FALSE(fs::exists(project_ / "big.bin.dvc"));
  EXPECT_EQ(Listing(cache_), cache_before);  // no partial object, no temporary file
  EXPECT_EQ(ReadFile(project_ / "small.txt.dvc"), small_dvc);

  auto again = Run("add big.bin");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(CountGoodObjects(cache_), 2u);
  EXPECT_EQ(Run("status").out, kUpToDate);
}

// The cache on a 1 MiB tmpfs of its own (ENOSPC, a real full disk): a stage
// whose new output does not fit fails naming stage, output and the cause;
// the previous run's lock entry and cache objects stay as they were.
TEST_F(FaultsTest, DiskFullDuringReproKeepsTheLockAndTheCache) {
  if (!MountTmpfs(cache_, "1m"))
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root); the add test covers a full disk";
  WriteFile(project_ / "dvc.yaml",
            "stages:\n  out:\n    cmd: head -c 200000 /dev/zero > out.bin\n    outs: [out.bin]\n");
  ASSERT_EQ(Run("repro").exit_code, 0);
  const std::string lock = ReadFile(project_ / "dvc.lock");
  const auto cache_before = Listing(cache_);

  WriteFile(project_ / "dvc.yaml",
            "stages:\n  out:\n    cmd: head -c 1500000 /dev/urandom > out.bin\n"
            "    outs: [out.bin]\n");
  auto full = Run("repro");
  ExpectErrorLine(full, {"stage 'out': output 'out.bin': ", "No space left on device"});
  EXPECT_EQ(ReadFile(project_ / "dvc.lock"), lock);
  EXPECT_EQ(Listing(cache_), cache_before);

  ASSERT_EQ(Shell(dir_.path(), "mount -o remount,size=8m " + ShellQuote(cache_)), 0);
  auto again = Run("repro");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(ReadFile(project_ / "dvc.lock").find("size: 1500000"), std::string::npos);
  EXPECT_EQ(Run("status").out, kUpToDate);
  EXPECT_EQ(CountGoodObjects(cache_), 2u);
}

// --- read-only cache ----------------------------------------------------------

TEST_F(FaultsTest, ReadOnlyCacheRefusesWritesAndKeepsTheLock) {
  WriteFile(project_ / "dvc.yaml",
            "stages:\n  s:\n    cmd: echo one > out.txt\n    outs: [out.txt]\n");
  ASSERT_EQ(Run("repro").exit_code, 0);
  // extra.txt is on the remote only: pull must write it into the cache.
  WriteFile(project_ / "extra.txt", "extra\n");
  ASSERT_EQ(Run("add extra.txt").exit_code, 0);
  ASSERT_EQ(Run("remote add -d store ../remote").exit_code, 0);
  ASSERT_EQ(Run("push").exit_code, 0);
  const std::string extra_md5 = Md5Hex("extra\n");
  ASSERT_TRUE(fs::remove(ObjectStore(cache_).ObjectPath(extra_md5)));
  fs::remove(project_ / "extra.txt");
  const std::string lock = ReadFile(project_ / "dvc.lock");
  const auto cache_before = Listing(cache_);
  if (!MakeReadOnly(cache_))
    GTEST_SKIP() << "cannot bind-mount the cache read-only here (needs root)";

  WriteFile(project_ / "dvc.yaml",
            "stages:\n  s:\n    cmd: echo two > out.txt\n    outs: [out.txt]\n");
  auto repro = Run("repro");
  ExpectErrorLine(repro,
                  {"stage 's': output 'out.txt': ", cache_.string(), "Read-only file system"});
  EXPECT_EQ(ReadFile(project_ / "dvc.lock"), lock);

  WriteFile(project_ / "new.txt", "new\n");
  auto add = Run("add new.txt");
  ExpectErrorLine(add, {"new.txt", cache_.string(), "Read-only file system"});
  EXPECT_FALSE(fs::exists(project_ / "new.txt.dvc"));

  auto pull = Run("pull");
  ExpectErrorLine(pull, {cache_.string(), "Read-only file system"});
  EXPECT_FALSE(fs::exists(project_ / "extra.txt"));
  EXPECT_EQ(Listing(cache_), cache_before);

  // Writable again: the stage's new output is cached first (pull would not
  // overwrite it while it is in no cache), then the rest.
  ASSERT_NO_FATAL_FAILURE(Unmount(cache_));
  ASSERT_EQ(Run("repro").exit_code, 0);
  auto pulled = Run("pull");
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_EQ(ReadFile(project_ / "extra.txt"), "extra\n");
  ASSERT_EQ(Run("add new.txt").exit_code, 0);
  EXPECT_EQ(Run("status").out, kUpToDate);
}

// --- registry database locked or gone -------------------------------------------

class RegistryFaultsTest : public FaultsTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(FaultsTest::SetUp());
    for (const char* dir : {"m", "m2"}) {
      WriteFile(project_ / dir / "model.json", std::string("{\"from\": \"") + dir + "\"}\n");
      WriteFile(project_ / dir / "model.yaml", "format_version: 1\n");
      ASSERT_EQ(Run(std::string("add ") + dir).exit_code, 0);
    }
    auto registered = Run("model register m1 --path m");
    ASSERT_EQ(registered.exit_code, 0) << registered.err;
    db_ = project_ / ".conveyor/registry.db";
  }
  void TearDown() override {
    if (fs::exists(project_ / "holder.pid"))
      Shell(project_, "kill $(cat holder.pid) 2>/dev/null || true");
    FaultsTest::TearDown();
  }

  // Versions of m1 and its aliases, as `model list m1 --json` and
  // `model show m1 --json` print them.
  std::string Versions() {
    auto list = Run("model list m1 --json");
    EXPECT_EQ(list.exit_code, 0) << list.err;
    std::string text;
    for (const Json& version : Json::parse(list.out, nullptr, false))
      text += "v" + std::to_string(version.value("version", 0)) + version["aliases"].dump() + " ";
    return text;
  }

  // Another process takes the write lock (python's sqlite3, BEGIN
  // EXCLUSIVE: in WAL mode readers go on, writers wait) until Release().
  void HoldWriteLock() {
    ASSERT_EQ(Shell(project_,
                    "timeout 60 /usr/bin/python3 -c \"import sqlite3, time; "
                    "c = sqlite3.connect('.conveyor/registry.db', isolation_level=None); "
                    "c.execute('BEGIN EXCLUSIVE'); open('locked', 'w').close(); "
                    "time.sleep(60)\" >holder.log 2>&1 & echo $! >holder.pid"),
              0);
    ASSERT_TRUE(WaitUntil(milliseconds(10000), [&] { return fs::exists(project_ / "locked"); }))
        << ReadFile(project_ / "holder.log");
  }
  // The holder killed, and gone (bounded wait).
  void ReleaseWriteLock() {
    ASSERT_EQ(Shell(project_,
                    "kill $(cat holder.pid) && for i in $(seq 100); do "
                    "kill -0 $(cat holder.pid) 2>/dev/null || break; sleep 0.05; done"),
              0);
    fs::remove(project_ / "holder.pid");
    fs::remove(project_ / "locked");
  }
  std::string LockedError() const {
    return "registry database " + db_.string() + " is locked by another process (waited 10000 ms)";
  }

  fs::path db_;
};

// Another process holds the write lock (python's sqlite3, BEGIN EXCLUSIVE:
// in WAL mode readers go on, writers wait). Writers give up after the busy
// timeout (10 s) with one line naming the database; nothing half-written.
TEST_F(RegistryFaultsTest, LockedRegistryFailsWritersClearlyAndKeepsServingReaders) {
  ASSERT_NO_FATAL_FAILURE(HoldWriteLock());

  // Readers are not blocked.
  EXPECT_EQ(Versions(), "v1[] ");
  auto exps = Run("exp show --json");
  EXPECT_EQ(exps.exit_code, 0) << exps.err;

  // Two writers at once, each waiting out the busy timeout.
  Background register_v2(project_, "register", "model register m1 --path m2");
  const auto start = std::chrono::steady_clock::now();
  auto promote = Run("model promote m1@1 production");
  const auto waited = std::chrono::steady_clock::now() - start;
  const std::string locked = "conveyor: error: " + LockedError() + "\n";
  EXPECT_EQ(promote.exit_code, 1);
  EXPECT_EQ(promote.err, locked);
  EXPECT_GE(waited, std::chrono::seconds(9));
  EXPECT_EQ(register_v2.Wait(milliseconds(20000)), 1);
  EXPECT_EQ(register_v2.log(), locked);

  ASSERT_NO_FATAL_FAILURE(ReleaseWriteLock());
  EXPECT_EQ(Versions(), "v1[] ");  // no half row
  auto promoted = Run("model promote m1@1 production");
  EXPECT_EQ(promoted.out, "m1@production: v1\n") << promoted.err;
  auto v2 = Run("model register m1 --path m2");
  EXPECT_EQ(v2.out, "Registered m1 v2 (m2)\n") << v2.err;
  EXPECT_EQ(Versions(), "v2[] v1[\"production\"] ");
}

// A pipeline run whose registry write fails loses no experiment: its
// outputs are cached and dvc.lock written, so a rerun has nothing to run;
// the record waits in .conveyor/pending/ and the next repro adds it.
TEST_F(RegistryFaultsTest, ReproAgainstALockedRegistryKeepsItsExperimentForTheNextRun) {
  WriteFile(project_ / "dvc.yaml",
            "stages:\n  train:\n    cmd: mkdir -p tm && cp m2/model.json m2/model.yaml tm/\n"
            "    deps: [m2]\n    outs: [tm]\n");
  WriteFile(project_ / "conveyor.yaml", "models:\n  m1:\n    path: tm\n");
  ASSERT_NO_FATAL_FAILURE(HoldWriteLock());
  auto locked = Run("repro", "CONVEYOR_USER=ada ");
  ExpectErrorLine(locked, {LockedError(), "the record is kept in .conveyor/pending/",
                           "the next 'conveyor repro' records it"});
  EXPECT_NE(locked.err.find("Running stage 'train'"), std::string::npos) << locked.err;
  EXPECT_EQ(Run("status").out, kUpToDate);  // the run itself is complete
  std::vector<std::string> kept;
  for (const auto& entry : fs::directory_iterator(project_ / ".conveyor/pending"))
    kept.push_back(entry.path().filename().string());
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_TRUE(kept[0].ends_with("-workspace.json")) << kept[0];
  EXPECT_EQ(Versions(), "v1[] ");
  auto waiting = Run("exp show");
  EXPECT_NE(waiting.err.find("1 run(s) in .conveyor/pending/ wait to be recorded"),
            std::string::npos)
      << waiting.err;
  ASSERT_NO_FATAL_FAILURE(ReleaseWriteLock());

  auto rerun = Run("repro", "CONVEYOR_USER=bob ");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_EQ(rerun.out.substr(0, rerun.out.find(" from ")),
            "Experiment workspace recorded (succeeded); registered m1 v2")
      << rerun.out;
  EXPECT_NE(rerun.out.find(kUpToDate), std::string::npos) << rerun.out;
  EXPECT_FALSE(fs::exists(project_ / ".conveyor/pending") &&
               !fs::is_empty(project_ / ".conveyor/pending"));
  EXPECT_EQ(Versions(), "v2[] v1[] ");
  auto show = Run("model show m1@2 --json");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(Json::parse(show.out).value("created_by", ""), "ada");  // who ran it
  auto exps = Run("exp show --json");
  ASSERT_EQ(exps.exit_code, 0) << exps.err;
  EXPECT_EQ(Json::parse(exps.out).size(), 1u);
  // Recorded once: a third run records nothing more.
  auto third = Run("repro");
  EXPECT_EQ(third.out, kUpToDate) << third.err;

  // A kept run that cannot be recorded (here: a file that does not parse)
  // holds the next runs behind it, so versions keep the order of the runs.
  WriteFile(project_ / ".conveyor/pending/0000000000001-broken.json", "{");
  WriteFile(project_ / "m2/model.json", "{\"from\": \"m2, again\"}\n");
  ASSERT_EQ(Run("add m2").exit_code, 0);
  auto held = Run("repro");
  ExpectErrorLine(held, {"1 earlier run(s) in .conveyor/pending could not be recorded yet, so "
                         "this one is kept behind them"});
  EXPECT_NE(held.err.find("0000000000001-broken.json is not valid JSON"), std::string::npos)
      << held.err;
  EXPECT_EQ(Versions(), "v2[] v1[] ");
  fs::remove(project_ / ".conveyor/pending/0000000000001-broken.json");
  auto released = Run("repro");
  ASSERT_EQ(released.exit_code, 0) << released.err;
  EXPECT_NE(released.out.find("registered m1 v3 from .conveyor/pending/"), std::string::npos)
      << released.out;
  EXPECT_EQ(Versions(), "v3[] v2[] v1[] ");
}

// The database file replaced by something that is not a database (a bad
// copy, a truncated restore): every command names the file and says so, and
// changes nothing; put back, it works as before.
TEST_F(RegistryFaultsTest, RegistryNotADatabaseIsNamedAndLeftAlone) {
  ASSERT_EQ(Run("model promote m1@1 production").exit_code, 0);
  ASSERT_EQ(Shell(project_,
                  "mv .conveyor/registry.db saved.db && rm -f .conveyor/registry.db-* "
                  "&& head -c 8192 /dev/zero | tr '\\0' x >.conveyor/registry.db"),
            0);
  const std::string garbage = ReadFile(db_);
  for (const char* args : {"model list", "exp show", "model register m1 --path m2"}) {
    SCOPED_TRACE(args);
    ExpectErrorLine(Run(args), {"registry database " + db_.string(), "file is not a database"});
  }
  EXPECT_EQ(ReadFile(db_), garbage);

  ASSERT_EQ(Shell(project_, "mv saved.db .conveyor/registry.db"), 0);
  EXPECT_EQ(Versions(), "v1[\"production\"] ");
}

// The database deleted between commands: every command that would read or
// write it says it is missing and how to get it back, and none makes a new
// empty one in its place (which would show no experiments and let the
// history be forgotten); pull imports what was pushed; deleting the marker
// starts an empty registry on purpose.
TEST_F(RegistryFaultsTest, DeletedRegistryIsReportedNotRecreatedAndPullRestoresIt) {
  WriteFile(project_ / "dvc.yaml",
            "stages:\n  train:\n    cmd: mkdir -p tm && cp m2/model.json m2/model.yaml tm/\n"
            "    deps: [m2]\n    outs: [tm]\n");
  WriteFile(project_ / "conveyor.yaml", "models:\n  m1:\n    path: tm\n");
  ASSERT_EQ(Run("model promote m1@1 production").exit_code, 0);
  ASSERT_EQ(Run("remote add -d store ../remote").exit_code, 0);
  auto pushed = Run("push");
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  ASSERT_EQ(Shell(project_, "rm -f .conveyor/registry.db .conveyor/registry.db-*"), 0);

  const std::string missing =
      "the registry database " + db_.string() + " is missing, but this checkout had one";
  for (const char* args : {"model list", "exp show", "model register m1 --path m2",
                           "model promote m1@1 staging", "repro"}) {
    SCOPED_TRACE(args);
    ExpectErrorLine(Run(args), {missing, "'conveyor pull'", "registry.created"});
    EXPECT_FALSE(fs::exists(db_));
  }
  EXPECT_FALSE(fs::exists(project_ / "tm"));  // repro refused before running anything
  // The report goes on without its registry section, and says why.
  auto report = Run("report");
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.err.find("warning: the report leaves out the registry: " + missing),
            std::string::npos)
      << report.err;
  EXPECT_FALSE(fs::exists(db_));
  ExpectErrorLine(Run("push"), {missing, "push the data alone with --no-registry"});
  EXPECT_FALSE(fs::exists(db_));
  EXPECT_EQ(Run("push --no-registry").exit_code, 0);

  auto pulled = Run("pull");
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_NE(pulled.out.find("imported from the remote"), std::string::npos) << pulled.out;
  EXPECT_EQ(Versions(), "v1[] ");  // versions travel; aliases stay the checkout's own

  // On purpose: without the marker the next command starts an empty one.
  ASSERT_EQ(Shell(project_,
                  "rm -f .conveyor/registry.db .conveyor/registry.db-* "
                  ".conveyor/registry.created"),
            0);
  auto fresh = Run("model list --json");
  EXPECT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_EQ(fresh.out, "[]\n");
  EXPECT_TRUE(fs::exists(db_));
}

// --- remote unreachable mid-run -------------------------------------------------

// A project with 200 files of 64 KiB tracked as one directory, and s3rver
// as its default remote. The server is killed with SIGKILL once a few
// objects have gone through, then brought back on the same port and data.
// Many small objects: at -j 1 some 195 requests are still to go when the
// kill is due, so the run cannot finish first unless the test is held off
// the CPU for seconds (with 40 objects, a fraction of a second was enough).
class RemoteFaultsTest : public FaultsTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(FaultsTest::SetUp());
    auto server =
        testing::S3rverProcess::Start(fs::path(CONVEYOR_SOURCE_DIR) / "tests/s3", dir_ / "s3data");
    if (!server.ok() && server.status().code() == Code::kNotFound)
      GTEST_SKIP() << server.status().message();
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
    for (unsigned i = 0; i < kFiles; ++i)
      WriteFile(project_ / "data" / ("f" + std::to_string(i) + ".bin"),
                testing::PseudoRandomBytes(64 << 10, i));
    ASSERT_EQ(Run("add data").exit_code, 0);
    const std::vector<std::string> configure = {
        "remote add -d s3 s3://bucket/store", "remote modify s3 endpointurl " + server_->endpoint(),
        "remote modify --local s3 access_key_id S3RVER",
        "remote modify --local s3 secret_access_key S3RVER"};
    for (const std::string& args : configure) {
      auto configured = Run(args);
      ASSERT_EQ(configured.exit_code, 0) << args << ": " << configured.err;
    }
  }

  // Objects s3rver has stored so far.
  size_t RemoteObjects() {
    size_t objects = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir_ / "s3data", ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->path().filename().string().ends_with("._S3rver_object"))
        ++objects;
    }
    return objects;
  }

  // Runs `conveyor <args> -j 1` in the background and kills the server once
  // `moved()` reaches kKillAfter; the interrupted run's result.
  CliResult InterruptedRun(const std::string& args, const std::function<size_t()>& moved) {
    Background run(project_, "run", args + " -j 1");
    EXPECT_TRUE(WaitUntil(milliseconds(30000), [&] { return moved() >= kKillAfter; }))
        << "never moved " << kKillAfter << " objects: " << run.log();
    server_->Kill();
    CliResult result;
    result.exit_code = run.Wait(milliseconds(60000));
    result.err = run.log();
    return result;
  }

  static constexpr unsigned kFiles = 200;
  static constexpr size_t kKillAfter = 5;
  std::unique_ptr<testing::S3rverProcess> server_;
};

TEST_F(RemoteFaultsTest, ServerKilledMidPushThenRerunSendsTheRest) {
  CliResult push = InterruptedRun("push", [&] { return RemoteObjects(); });
  ExpectErrorLine(push, {" objects failed to push to s3://bucket/store: ",
                         "cannot reach " + server_->endpoint()});
  EXPECT_EQ(CountGoodObjects(cache_), kFiles + 1);  // the cache is untouched

  // Restart drops objects the kill tore (s3rver writes them in place).
  ASSERT_TRUE(server_->Restart().ok());
  const size_t arrived = RemoteObjects();
  EXPECT_GE(arrived, 1u);
  EXPECT_LT(arrived, kFiles + 1);
  auto rerun = Run("push --json");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  Json report = Json::parse(rerun.out, nullptr, false);
  // What the listing shows whole is kept; an object s3rver left torn (its
  // file there, its size or metadata not) is sent again.
  const size_t present = report.value("already_present", 0u);
  EXPECT_LE(present, arrived) << rerun.out;
  EXPECT_GE(present + 1, arrived) << rerun.out;
  EXPECT_EQ(report.value("pushed", 0u), kFiles + 1 - present) << rerun.out;
  EXPECT_EQ(RemoteObjects(), kFiles + 1);
  EXPECT_EQ(Json::parse(Run("push --json").out, nullptr, false).value("pushed", -1), 0);
}

TEST_F(RemoteFaultsTest, ServerKilledMidPullLeavesACleanCacheAndRerunFinishes) {
  ASSERT_EQ(Run("push").exit_code, 0);
  fs::remove_all(cache_);
  fs::remove_all(project_ / "data");
  // Progress: objects placed under their names (temporary ones start with '.').
  auto placed = [&] {
    size_t count = 0;
    for (const auto& [name, size] : Listing(cache_ / "files/md5"))
      count += name != "<missing>" && fs::path(name).filename().string().front() != '.';
    return count;
  };
  CliResult pull = InterruptedRun("pull", placed);
  ExpectErrorLine(pull, {" objects failed to fetch from s3://bucket/store: ",
                         "cannot reach " + server_->endpoint()});
  const size_t cached = CountGoodObjects(cache_);  // complete objects only
  EXPECT_GE(cached, 1u);
  EXPECT_LT(cached, kFiles + 1);
  EXPECT_FALSE(fs::exists(project_ / "data"));  // nothing checked out half

  ASSERT_TRUE(server_->Restart().ok());
  auto rerun = Run("pull --json");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  Json report = Json::parse(rerun.out, nullptr, false);
  EXPECT_EQ(report.value("already_present", 0u), cached) << rerun.out;
  EXPECT_EQ(CountGoodObjects(cache_), kFiles + 1);
  EXPECT_EQ(Run("status").out, kUpToDate);
}

// --- model files deleted under a running server ---------------------------------

// A project with two versions of a small digits model (serving/
// test_digits_model.h, trained in well under a second): digits v1 in model/,
// and v2 in model2/, the same model with its spec one comment longer (so
// another object). `conveyor serve -m digits@1` serves v1.
class ServeFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    serving::testing::DigitsModel digits = serving::testing::TrainDigitsModel();
    ASSERT_FALSE(HasFailure());
    ASSERT_NO_FATAL_FAILURE(serving::testing::WriteDigitsModel(digits, dir_ / "model"));
    ASSERT_NO_FATAL_FAILURE(serving::testing::WriteDigitsModel(digits, dir_ / "model2"));
    ASSERT_EQ(Shell(dir_.path(), "echo '# v2' >>model2/model.yaml"), 0);
    ASSERT_EQ(Run("init --no-scm").exit_code, 0);
    for (const char* model : {"model", "model2"}) {
      auto added = Run(std::string("add ") + model);
      ASSERT_EQ(added.exit_code, 0) << added.err;
      auto registered = Run(std::string("model register digits --path ") + model);
      ASSERT_EQ(registered.exit_code, 0) << registered.err;
    }
    testing::WriteSamplePng(dir_ / "model/model.yaml", dir_ / "sample.png", label_);
    ASSERT_FALSE(HasFatalFailure());
    auto list = Run("model list digits --json");
    for (const Json& version : Json::parse(list.out, nullptr, false))
      md5_[version.value("version", 0)] = version.value("md5", "");
    ASSERT_EQ(md5_.size(), 2u) << list.out << list.err;
    server_.emplace(dir_.path());
    ASSERT_NO_FATAL_FAILURE(server_->Start("--no-auth --threads 2 -m digits@1"));
  }
  void TearDown() override {
    if (server_.has_value())
      server_->Stop();
  }

  CliResult Run(const std::string& args) { return RunConveyor(dir_.path(), args); }

  // Predicts the sample: the answering model's version, 0 when not 200.
  int PredictedVersion() {
    auto [answer, status] = server_->Curl("-F file=@sample.png " + server_->url() + "/predict");
    EXPECT_EQ(status, 200) << answer.dump();
    EXPECT_EQ(answer["label"], label_) << answer.dump();
    return status == 200 ? answer["model"].value("version", 0) : 0;
  }
  // The version /readyz reports.
  int ReadyVersion() {
    auto [ready, status] = server_->Curl(server_->url() + "/readyz");
    EXPECT_EQ(status, 200) << ready.dump();
    return ready["model"].value("version", 0);
  }
  std::pair<Json, int> Replace(const std::string& tag) {
    return server_->Curl("-X POST '" + server_->url() + "/replace_ml_model?tag=" + tag + "'");
  }

  // Deletes version `version`'s objects from the cache (its listing and
  // files) and its materialised copy under .conveyor/serving.
  void DeleteVersionFiles(int version) {
    ObjectStore store(dir_ / ".dvc/cache");
    Result<Tree> tree = store.LoadTree(md5_[version]);
    ASSERT_TRUE(tree.ok()) << tree.status().message();
    for (const TreeEntry& entry : tree->entries)
      fs::remove(store.ObjectPath(entry.md5));
    fs::remove(store.ObjectPath(md5_[version]));
    fs::remove_all(dir_ / ".conveyor/serving" / md5_[version]);
  }

  testing::TempDir dir_;
  std::string label_;
  std::map<int, std::string> md5_;  // version -> md5 of its directory
  std::optional<testing::ServeProcess> server_;
};

TEST_F(ServeFaultsTest, ModelFilesDeletedUnderTheServerKeepTheLoadedModelServing) {
  ASSERT_EQ(PredictedVersion(), 1);
  // v1's every copy gone: cache, serving directory, workspace.
  ASSERT_NO_FATAL_FAILURE(DeleteVersionFiles(1));
  fs::remove_all(dir_ / "model");
  EXPECT_EQ(PredictedVersion(), 1);

  // Reloading v1 or loading v2 (also deleted) fails, naming version and
  // object; v1 keeps serving.
  ASSERT_NO_FATAL_FAILURE(DeleteVersionFiles(2));
  for (int version : {1, 2}) {
    auto [failed, status] = Replace(std::to_string(version));
    EXPECT_EQ(status, 404) << failed.dump();
    EXPECT_EQ(failed["error"]["code"], "replace_failed") << failed.dump();
    const std::string v = std::to_string(version);
    EXPECT_EQ(failed["error"]["message"], "load: digits@" + v + " (digits v" + v + "): object " +
                                              md5_[version] + " is not in the cache " +
                                              (dir_ / ".dvc/cache").string())
        << failed.dump();
    EXPECT_EQ(PredictedVersion(), 1);
    EXPECT_EQ(ReadyVersion(), 1);
  }

  // v2 back in the cache (re-added): the swap goes through.
  auto readd = Run("add model2");
  ASSERT_EQ(readd.exit_code, 0) << readd.err;
  auto [replaced, status] = Replace("2");
  EXPECT_EQ(status, 200) << replaced.dump();
  EXPECT_EQ(PredictedVersion(), 2);
  EXPECT_EQ(server_->Stop(), "0\n");
  server_.reset();
}

// A model file corrupted in the cache: the replace is refused naming the
// file, the old model keeps serving; once the cache holds the right bytes
// again, the same replace goes through (the corrupt materialised copy is
// not reused).
TEST_F(ServeFaultsTest, CorruptModelFileIsRefusedAndTheOldModelKeepsServing) {
  ObjectStore store(dir_ / ".dvc/cache");
  Result<Tree> tree = store.LoadTree(md5_[2]);
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  fs::path model_json;
  for (const TreeEntry& entry : tree->entries) {
    if (entry.relpath == "model.json")
      model_json = store.ObjectPath(entry.md5);
  }
  ASSERT_FALSE(model_json.empty());
  ASSERT_EQ(Shell(dir_.path(), "rm -f " + ShellQuote(model_json) + " && echo '{not json' >" +
                                   ShellQuote(model_json)),
            0);

  auto [refused, status] = Replace("2");
  EXPECT_EQ(status, 422) << refused.dump();
  EXPECT_EQ(refused["error"]["code"], "replace_failed") << refused.dump();
  const std::string message = refused["error"].value("message", "");
  EXPECT_EQ(message.rfind("load: digits@2 (digits v2): ", 0), 0u) << message;
  EXPECT_NE(message.find("model.json"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;  // no XGBoost stack trace
  EXPECT_EQ(PredictedVersion(), 1);
  EXPECT_EQ(ReadyVersion(), 1);

  // The cache repaired by adding the model again.
  fs::remove(model_json);
  auto readd = Run("add model2");
  ASSERT_EQ(readd.exit_code, 0) << readd.err;
  auto [replaced, replaced_status] = Replace("2");
  EXPECT_EQ(replaced_status, 200) << replaced.dump();
  EXPECT_EQ(PredictedVersion(), 2);
}

// The registry database deleted under a running server: the loaded model
// keeps answering, and a replace by an unknown tag is a clear 404 that
// leaves it in service.
TEST_F(ServeFaultsTest, RegistryDeletedUnderTheServerKeepsTheModelServing) {
  ASSERT_EQ(Shell(dir_.path(), "rm -f .conveyor/registry.db .conveyor/registry.db-*"), 0);
  EXPECT_EQ(PredictedVersion(), 1);
  auto [metas, metas_status] = server_->Curl(server_->url() + "/get_experiment_metas");
  EXPECT_EQ(metas_status, 200) << metas.dump();
  auto [unknown, status] = Replace("nosuch");
  EXPECT_EQ(status, 404) << unknown.dump();
  EXPECT_EQ(unknown["error"]["code"], "replace_failed") << unknown.dump();
  EXPECT_EQ(PredictedVersion(), 1);
  EXPECT_EQ(ReadyVersion(), 1);
  EXPECT_EQ(server_->Stop(), "0\n");
  server_.reset();
}

}  // namespace
}  // namespace conveyor
