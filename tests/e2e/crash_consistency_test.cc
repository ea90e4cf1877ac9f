// End-to-end crash consistency: `conveyor repro`, `push`, `pull` and `gc`
// killed with SIGKILL at random moments (conveyor and the stage commands it
// left running), then the project checked:
//   - every object in the cache (and, for push, on the local-folder remote)
//     hashes to its name; anything else there is a temporary file, which
//     every reader skips (its name starts with '.');
//   - dvc.lock, if present, parses and every output it records is cached;
//   - the registry passes SQLite's integrity and foreign-key checks and the
//     CLI reads it (`exp show --json`, `model list --json`);
//   - for pull, workspace files under their final names match their hashes;
//     for gc, everything the workspace references is still cached;
// and after the same command rerun without a kill, the state has converged.
// Kill delays are uniform over [0, 1.1 x an unkilled run], from a fixed
// seed; each failure names the seed, trial and delay. docs/robustness.md.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cache/object_store.h"
#include "cache/tree_hash.h"
#include "common/file_util.h"
#include "common/md5.h"
#include "pipeline/dvc_file.h"
#include "pipeline/lock_file.h"
#include "registry/sqlite_db.h"
#include "testing/child_process.h"
#include "testing/cli_runner.h"
#include "testing/temp_dir.h"
#include "testing/time_scale.h"

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using testing::CliResult;
using testing::ConveyorChild;
using testing::Shell;
using testing::ShellQuote;
using testing::WriteFile;

constexpr uint32_t kSeed = 20261127;
// Every conveyor run is bounded by this (scaled: testing/time_scale.h); a
// run that takes longer fails.
constexpr std::chrono::seconds kTimeout{60};
constexpr char kUpToDate[] = "Data and pipelines are up to date.\n";
// A sanitizer build (make test-sanitize) runs a quarter of each command's
// trials, at least 5: that run looks for memory errors on the kill-and-rerun
// paths, which a few trials reach, at five times the normal cost per trial.
// `make test` runs them all (100 across the four commands).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kTrialDivisor = 4;
#else
constexpr int kTrialDivisor = 1;
#endif

using Problems = std::vector<std::string>;

template <typename T>
T ValueOr(Result<T> result, T fallback) {
  return result.ok() ? std::move(result.value()) : std::move(fallback);
}

bool IsHex(std::string_view text) {
  return text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// `conveyor <args>` run to completion, bounded by kTimeout (SIGKILL after
// that: exit code 137).
CliResult RunBounded(const fs::path& cwd, const std::string& args) {
  const int64_t seconds = (testing::Scaled(kTimeout).count() + 999) / 1000;
  return testing::RunConveyor(cwd, args, "timeout -s KILL " + std::to_string(seconds) + " ");
}

// The objects under <root>/files/md5 (a cache or a local-folder remote):
// each must hash to its name, a `.dir` must also parse. A name starting with
// '.' is a transfer's temporary file, which readers skip (gc.cc ListObjects,
// LocalStorage::List; ObjectStore::Find looks up exact names). Returns the
// md5s ("….dir" kept) of the objects found.
std::set<std::string> CheckObjects(const fs::path& root, Problems& problems) {
  std::set<std::string> found;
  const fs::path objects = root / "files" / "md5";
  std::error_code ec;
  if (!fs::exists(objects, ec))
    return found;
  for (const fs::directory_entry& prefix : fs::directory_iterator(objects)) {
    const std::string two = prefix.path().filename().string();
    if (two.size() != 2 || !IsHex(two) || !prefix.is_directory()) {
      problems.push_back("not an object directory: " + prefix.path().string());
      continue;
    }
    for (const fs::directory_entry& entry : fs::directory_iterator(prefix.path())) {
      const std::string name = entry.path().filename().string();
      if (name.front() == '.')
        continue;  // temporary: never read as an object
      const bool dir = name.size() == 34 && name.ends_with(".dir");
      const std::string hex = dir ? name.substr(0, 30) : name;
      if (hex.size() != 30 || !IsHex(hex) || !entry.is_regular_file()) {
        problems.push_back("not an object: " + entry.path().string());
        continue;
      }
      Result<FileDigest> digest = Md5File(entry.path());
      if (!digest.ok() || digest->md5 != two + hex) {
        problems.push_back(entry.path().string() + " hashes to " +
                           (digest.ok() ? digest->md5 : digest.status().message()));
        continue;
      }
      if (dir) {
        Result<std::string> json = ReadFileToString(entry.path());
        if (!json.ok() || !ParseTree(*json).ok())
          problems.push_back("unreadable listing: " + entry.path().string());
      }
      found.insert(two + name);
    }
  }
  return found;
}

// The outputs the project records: its top-level .dvc files and dvc.lock
// (whose parse errors are problems), paths relative to the project.
std::vector<std::pair<std::string, HashInfo>> RecordedOutputs(const fs::path& project,
                                                              Problems& problems) {
  std::vector<std::pair<std::string, HashInfo>> outs;
  for (const fs::directory_entry& entry : fs::directory_iterator(project)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".dvc") || !entry.is_regular_file())
      continue;
    Result<DvcFile> file =
        ParseDvcFile(ValueOr(ReadFileToString(entry.path()), std::string()), name);
    if (!file.ok()) {
      problems.push_back(file.status().message());
      continue;
    }
    for (const DvcOut& out : file->outs)
      outs.emplace_back(out.path, out.hash);
  }
  if (fs::exists(project / "dvc.lock")) {
    Result<LockFile> lock =
        ParseLockFile(ValueOr(ReadFileToString(project / "dvc.lock"), std::string()), "dvc.lock");
    if (!lock.ok()) {
      problems.push_back("dvc.lock: " + lock.status().message());
      return outs;
    }
    for (const LockedStage& stage : lock->stages) {
      for (const LockEntry& out : stage.outs)
        outs.emplace_back(out.path, out.hash);
    }
  }
  return outs;
}

// Every recorded output is in the cache (a directory: its listing and files).
void CheckOutputsCached(const fs::path& project, Problems& problems) {
  ObjectStore store(project / ".dvc/cache");
  for (const auto& [path, hash] : RecordedOutputs(project, problems)) {
    if (!hash.md5.empty() && !store.Contains(hash))
      problems.push_back(path + " (" + hash.md5 + ") is recorded but not cached");
  }
}

// Workspace files under their final names match the recorded hashes; with
// `complete`, every recorded file is there and nothing else is in a
// directory output.
void CheckWorkspace(const fs::path& project, bool complete, Problems& problems) {
  ObjectStore store(project / ".dvc/cache");
  for (const auto& [path, hash] : RecordedOutputs(project, problems)) {
    const fs::path where = project / path;
    std::error_code ec;
    if (!hash.IsDir()) {
      if (!fs::exists(where, ec)) {
        if (complete)
          problems.push_back(path + " is missing");
        continue;
      }
      Result<FileDigest> digest = Md5File(where);
      if (!digest.ok() || digest->md5 != hash.md5)
        problems.push_back(path + " does not match " + hash.md5);
      continue;
    }
    if (!fs::exists(where, ec)) {
      if (complete)
        problems.push_back(path + "/ is missing");
      continue;
    }
    Result<Tree> tree = store.LoadTree(hash.md5);
    if (!tree.ok()) {
      problems.push_back(
          path + "/ is checked out but its listing is not readable: " + tree.status().message());
      continue;
    }
    std::map<std::string, std::string> wanted;
    for (const TreeEntry& entry : tree->entries)
      wanted[entry.relpath] = entry.md5;
    size_t seen = 0;
    for (const fs::directory_entry& file : fs::recursive_directory_iterator(where)) {
      if (file.is_directory())
        continue;
      const std::string rel = file.path().lexically_relative(where).generic_string();
      auto it = wanted.find(rel);
      if (it == wanted.end()) {
        // An interrupted checkout may leave a temporary file, never a
        // partial one under a real name.
        if (complete || file.path().filename().string().front() != '.')
          problems.push_back(path + "/" + rel + " is not in " + hash.md5);
        continue;
      }
      ++seen;
      Result<FileDigest> digest = Md5File(file.path());
      if (!digest.ok() || digest->md5 != it->second)
        problems.push_back(path + "/" + rel + " does not match " + it->second);
    }
    if (complete && seen != wanted.size())
      problems.push_back(path + "/ has " + std::to_string(seen) + " of its " +
                         std::to_string(wanted.size()) + " files");
  }
}

// The registry database is intact and the CLI reads it.
void CheckRegistry(const fs::path& project, Problems& problems) {
  const fs::path db_path = project / ".conveyor/registry.db";
  if (fs::exists(db_path)) {
    Result<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(db_path, {});
    if (!db.ok()) {
      problems.push_back("registry: " + db.status().message());
    } else {
      Result<SqliteStatement> integrity = (*db)->Prepare("PRAGMA integrity_check");
      if (!integrity.ok() || !ValueOr(integrity->Step(), false) || integrity->Text(0) != "ok")
        problems.push_back("registry fails PRAGMA integrity_check");
      Result<SqliteStatement> keys = (*db)->Prepare("PRAGMA foreign_key_check");
      if (!keys.ok() || ValueOr(keys->Step(), true))
        problems.push_back("registry has rows whose foreign keys dangle");
    }
  }
  for (const char* args : {"exp show --json", "model list --json"}) {
    CliResult read = RunBounded(project, args);
    if (read.exit_code != 0 || nlohmann::json::parse(read.out, nullptr, false).is_discarded())
      problems.push_back(std::string("conveyor ") + args + " failed: " + read.err);
  }
}

std::string Describe(const Problems& problems) {
  std::string text;
  for (const std::string& problem : problems)
    text += "\n  " + problem;
  return text;
}

class CrashConsistencyTest : public ::testing::Test {
 protected:
  // One trial's project (a copy of the template) and where it is checked.
  struct Trial {
    fs::path dir;       // the trial's root: project/ and, if any, remote/
    fs::path project;   // dir / "project"
    std::string where;  // "seed …, trial …, kill after … ms …" for messages
  };
  using Check = std::function<void(const Trial&, Problems&)>;

  // Builds root/template/project: `conveyor init --no-scm`, then `setup`
  // (shell text) run there.
  void MakeTemplate(const std::string& setup) {
    const fs::path project = dir_ / "template/project";
    fs::create_directories(project);
    ASSERT_EQ(RunBounded(project, "init --no-scm").exit_code, 0);
    ASSERT_EQ(Shell(project, setup), 0) << setup;
  }

  // A fresh copy of the template. Objects (the cache's and the remote's
  // files/md5) are hard-linked, not copied, to keep the trials quick on a
  // slow disk: conveyor never writes an object in place (it writes a
  // temporary file and renames it; gc unlinks), so no trial can change the
  // template's. Everything else is copied.
  Trial Copy(const std::string& name) {
    Trial trial{dir_ / name, dir_ / name / "project", name};
    const std::string to = ShellQuote(name);
    EXPECT_EQ(
        Shell(dir_.path(), "rm -rf " + to + " && mkdir " + to +
                               " && tar -C template --exclude=./project/.dvc/cache/files "
                               "--exclude=./remote/files -cf - . | tar -C " +
                               to +
                               " -xf - && for objects in project/.dvc/cache/files remote/files; "
                               "do if [ -d template/$objects ]; then cp -al template/$objects " +
                               to + "/$objects; fi; done"),
        0);
    return trial;
  }

  // Runs `conveyor <args>` once unkilled on a copy of the template, then
  // `trials` times (fewer under a sanitizer: kTrialDivisor) killed after a
  // random delay: `after_kill` checks each
  // killed state; the same command is rerun (it must succeed) and
  // `converged` checks the result.
  void RunTrials(const std::vector<std::string>& args, int trials, const Check& after_kill,
                 const Check& converged) {
    trials = std::max(std::min(trials, 5), trials / kTrialDivisor);
    std::string command = "conveyor";
    for (const std::string& arg : args)
      command += " " + arg;
    // Two unkilled runs, each on a fresh copy, both checked; the faster one
    // sets the range of kill delays (the first warms the page cache, and a
    // load spike in either would otherwise push most kills past the end).
    double run_ms = 0;
    for (int run = 0; run < 2; ++run) {
      Trial baseline = Copy("baseline");
      const auto start = std::chrono::steady_clock::now();
      {
        ConveyorChild child(baseline.project, args, baseline.dir / "log");
        ASSERT_EQ(child.WaitFor(testing::Scaled(kTimeout)), 0)
            << command << ": " << testing::ReadFile(baseline.dir / "log");
      }
      const double elapsed_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      run_ms = run == 0 ? elapsed_ms : std::min(run_ms, elapsed_ms);
      Problems problems;
      converged(baseline, problems);
      ASSERT_TRUE(problems.empty()) << command << " (unkilled):" << Describe(problems);
    }

    std::mt19937 random(kSeed);
    std::uniform_real_distribution<double> delays(0.0, 1.1 * run_ms);
    int killed_running = 0;
    for (int i = 0; i < trials; ++i) {
      const double delay = delays(random);
      Trial trial = Copy("trial");
      bool running = false;
      {
        ConveyorChild child(trial.project, args, trial.dir / "log");
        child.WaitFor(milliseconds(static_cast<int64_t>(delay)));
        running = child.Kill();
      }
      killed_running += running ? 1 : 0;
      trial.where = fmt::format(
          "{}: seed {}, trial {} of {}, killed after {:.1f} ms of a {:.1f} ms run ({})", command,
          kSeed, i + 1, trials, delay, run_ms, running ? "was running" : "had finished");
      Problems problems;
      after_kill(trial, problems);
      EXPECT_TRUE(problems.empty()) << trial.where << ":" << Describe(problems);

      CliResult rerun = RunBounded(trial.project, command.substr(9));
      ASSERT_EQ(rerun.exit_code, 0) << trial.where << ": the rerun failed:\n" << rerun.err;
      problems.clear();
      converged(trial, problems);
      EXPECT_TRUE(problems.empty())
          << trial.where << ": not converged after the rerun:" << Describe(problems);
      if (HasFailure())
        return;
    }
    std::printf("%s: %d trials, seed %u, unkilled run %.0f ms, %d killed while running\n",
                command.c_str(), trials, kSeed, run_ms, killed_running);
    // Kills must land while the command runs: delays past the faster
    // unkilled run's length are a tenth of the range, so a third leaves room
    // for runs up to twice as fast as that one (other load on the machine).
    EXPECT_GE(killed_running, trials / 3) << command;
  }

  testing::TempDir dir_;
};

// Five stages: two large files, a directory of 300 small files, and stages
// that read them; each run appends an experiment to the registry.
TEST_F(CrashConsistencyTest, Repro) {
  WriteFile(dir_ / "template/project/dvc.yaml",
            "stages:\n"
            "  raw:\n"
            "    cmd: head -c 2000000 /dev/urandom > raw.bin\n"
            "    outs: [raw.bin]\n"
            "  shards:\n"
            "    cmd: mkdir -p shards && for i in $(seq 300); do echo \"shard $i\" > "
            "shards/s$i.txt; done\n"
            "    outs: [shards]\n"
            "  features:\n"
            "    cmd: cat shards/*.txt raw.bin > features.bin\n"
            "    deps: [raw.bin, shards]\n"
            "    outs: [features.bin]\n"
            "  model:\n"
            "    cmd: head -c 2000000 /dev/urandom > model.bin && md5sum features.bin > "
            "model.txt\n"
            "    deps: [features.bin]\n"
            "    outs: [model.bin, model.txt]\n"
            "  report:\n"
            "    cmd: wc -c model.bin > report.txt\n"
            "    deps: [model.bin]\n"
            "    outs: [report.txt]\n");
  ASSERT_NO_FATAL_FAILURE(MakeTemplate("true"));
  auto after_kill = [](const Trial& trial, Problems& problems) {
    CheckObjects(trial.project / ".dvc/cache", problems);
    CheckOutputsCached(trial.project, problems);
    CheckRegistry(trial.project, problems);
  };
  auto converged = [](const Trial& trial, Problems& problems) {
    CheckObjects(trial.project / ".dvc/cache", problems);
    CheckOutputsCached(trial.project, problems);
    if (!fs::exists(trial.project / "dvc.lock"))
      problems.push_back("no dvc.lock");
    CheckWorkspace(trial.project, true, problems);
    CliResult status = RunBounded(trial.project, "status");
    if (status.out != kUpToDate)
      problems.push_back("status: " + status.out + status.err);
  };
  RunTrials({"repro"}, 30, after_kill, converged);
}

// The shared set-up of push and pull: 300 small files, two of 2 MB, a stage
// (so the registry holds an experiment), a local-folder remote beside it.
constexpr char kTransferProject[] =
    "mkdir data && for i in $(seq 300); do echo \"file $i\" > data/f$i.txt; done && "
    "head -c 2000000 /dev/urandom > big1.bin && head -c 2000000 /dev/urandom > big2.bin && "
    "$CONVEYOR_BIN add data big1.bin big2.bin >/dev/null 2>&1 && "
    "printf 'stages:\\n  count:\\n    cmd: ls data | wc -l > n.txt\\n    deps: [data]\\n"
    "    outs: [n.txt]\\n' > dvc.yaml && $CONVEYOR_BIN repro >/dev/null 2>&1 && "
    "$CONVEYOR_BIN remote add -d store ../remote >/dev/null 2>&1";

TEST_F(CrashConsistencyTest, Push) {
  ASSERT_NO_FATAL_FAILURE(MakeTemplate(kTransferProject));
  auto after_kill = [](const Trial& trial, Problems& problems) {
    CheckObjects(trial.dir / "remote", problems);
    CheckObjects(trial.project / ".dvc/cache", problems);
    CheckRegistry(trial.project, problems);
  };
  auto converged = [](const Trial& trial, Problems& problems) {
    std::set<std::string> cached = CheckObjects(trial.project / ".dvc/cache", problems);
    std::set<std::string> remote = CheckObjects(trial.dir / "remote", problems);
    for (const std::string& md5 : cached) {
      if (!remote.contains(md5))
        problems.push_back(md5 + " is not on the remote");
    }
    CliResult again = RunBounded(trial.project, "push --json");
    nlohmann::json report = nlohmann::json::parse(again.out, nullptr, false);
    if (again.exit_code != 0 || report.is_discarded() || report.value("pushed", -1) != 0 ||
        report["registry"].value("experiments_pushed", -1) != 0)
      problems.push_back("a second push moved something: " + again.out + again.err);
  };
  RunTrials({"push"}, 25, after_kill, converged);
}

TEST_F(CrashConsistencyTest, Pull) {
  ASSERT_NO_FATAL_FAILURE(MakeTemplate(std::string(kTransferProject) +
                                       " && $CONVEYOR_BIN push >/dev/null 2>&1 && "
                                       "rm -rf .dvc/cache .conveyor data big1.bin big2.bin n.txt"));
  auto after_kill = [](const Trial& trial, Problems& problems) {
    CheckObjects(trial.project / ".dvc/cache", problems);
    CheckWorkspace(trial.project, false, problems);
    CheckRegistry(trial.project, problems);
  };
  auto converged = [](const Trial& trial, Problems& problems) {
    CheckObjects(trial.project / ".dvc/cache", problems);
    CheckOutputsCached(trial.project, problems);
    CheckWorkspace(trial.project, true, problems);
    CliResult status = RunBounded(trial.project, "status");
    if (status.out != kUpToDate)
      problems.push_back("status: " + status.out + status.err);
  };
  RunTrials({"pull"}, 25, after_kill, converged);
}

// Old versions of a 600-file directory and a 2 MB file are garbage; the
// current ones (300 files, another 2 MB) must survive every kill.
TEST_F(CrashConsistencyTest, Gc) {
  ASSERT_NO_FATAL_FAILURE(MakeTemplate(
      "mkdir data && for i in $(seq 600); do echo \"old $i\" > data/f$i.txt; done && "
      "head -c 2000000 /dev/urandom > big.bin && "
      "$CONVEYOR_BIN add data big.bin >/dev/null 2>&1 && rm -rf data big.bin && "
      "mkdir data && for i in $(seq 300); do echo \"new $i\" > data/f$i.txt; done && "
      "head -c 2000000 /dev/urandom > big.bin && $CONVEYOR_BIN add data big.bin >/dev/null 2>&1"));
  auto after_kill = [](const Trial& trial, Problems& problems) {
    CheckObjects(trial.project / ".dvc/cache", problems);
    CheckOutputsCached(trial.project, problems);
    CheckRegistry(trial.project, problems);
  };
  auto converged = [](const Trial& trial, Problems& problems) {
    CheckOutputsCached(trial.project, problems);
    // Exactly what is referenced is left: the listing, its 300 files, big.bin.
    std::set<std::string> referenced;
    ObjectStore store(trial.project / ".dvc/cache");
    for (const auto& [path, hash] : RecordedOutputs(trial.project, problems)) {
      referenced.insert(hash.md5);
      if (hash.IsDir()) {
        for (const TreeEntry& entry : ValueOr(store.LoadTree(hash.md5), Tree{}).entries)
          referenced.insert(entry.md5);
      }
    }
    if (CheckObjects(trial.project / ".dvc/cache", problems) != referenced)
      problems.push_back("the cache holds other than the 302 referenced objects");
    for (const fs::directory_entry& entry :
         fs::recursive_directory_iterator(trial.project / ".dvc/cache/files")) {
      if (entry.path().filename().string().front() == '.')
        problems.push_back("gc left a temporary file: " + entry.path().string());
    }
    CliResult status = RunBounded(trial.project, "status");
    if (status.out != kUpToDate)
      problems.push_back("status: " + status.out + status.err);
  };
  RunTrials({"gc", "-w", "-f"}, 20, after_kill, converged);
}

}  // namespace
}  // namespace conveyor
