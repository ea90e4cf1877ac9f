#include "pipeline/repro.h"

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include "common/file_util.h"
#include "pipeline/dvc_file.h"
#include "pipeline/lock_file.h"
#include "pipeline/project_cache.h"
#include "pipeline/run_cache.h"
#include "pipeline/stage_observer.h"

namespace conveyor {

namespace fs = std::filesystem;

size_t ReproSummary::Count(StageResult result) const {
  return static_cast<size_t>(std::count_if(stages.begin(), stages.end(),
                                           [&](const auto& s) { return s.second == result; }));
}

namespace {

// Removes a file or directory tree, making read-only entries writable first
// (cache links may be 0444).
Status RemovePath(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec)))
    return OkStatus();
  fs::remove_all(path, ec);
  if (ec)
    return Error(Code::kIo, "cannot remove {}: {}", path.string(), ec.message());
  return OkStatus();
}

}  // namespace

class Repro::Impl {
 public:
  Impl(const Project& project, const Workspace& workspace, CommandRunner& runner,
       ReproListener& listener)
      : project_(project), dag_(workspace.dag()), runner_(runner), listener_(listener) {}

  Status Open() {
    ASSIGN_OR_RETURN(cache_, ProjectCache::Open(project_));
    observer_ = std::make_unique<StageObserver>(project_, *cache_);
    return OkStatus();
  }

  // The lock entry for a stage, from its dvc.lock (read once per run).
  Result<std::optional<LockedStage>> Locked(const StageNode& node) {
    std::lock_guard<std::mutex> lock(lock_mu_);
    ASSIGN_OR_RETURN(LockFile * file, LockFor(node));
    const LockedStage* locked = file->Find(node.stage.name);
    if (locked == nullptr)
      return std::optional<LockedStage>();
    return std::optional<LockedStage>(*locked);
  }

  Result<StageReport> Report(size_t index, ProjectHasher& hasher) {
    const StageNode& node = dag_.node(index);
    ASSIGN_OR_RETURN(std::optional<LockedStage> locked, Locked(node));
    ASSIGN_OR_RETURN(Observation now,
                     observer_->Observe(node, locked ? &*locked : nullptr, hasher));
    StageReport report;
    report.stage = node.Address();
    report.frozen = node.stage.frozen;
    report.changes = DiffStage(node.stage, locked ? &*locked : nullptr, now);
    return report;
  }

  // A dependency that is missing and that no stage or .dvc file provides
  // cannot appear by running anything: refuse before running any stage.
  Status CheckInputsExist(const std::vector<size_t>& selected) {
    for (size_t index : selected) {
      const StageNode& node = dag_.node(index);
      for (size_t i = 0; i < node.stage.deps.size(); ++i) {
        const std::string& dep = node.dep_paths[i];
        if (PathExists(project_.root() / dep) || dag_.ProducerOf(dep) || dag_.IsTracked(dep)) {
          continue;
        }
        const SourceLocation& where =
            i < node.stage.deps_where.size() ? node.stage.deps_where[i] : node.stage.where;
        return Error(Code::kNotFound,
                     "{}: stage '{}': dependency '{}' does not exist and no stage produces it",
                     where.ToString(), node.Address(), node.stage.deps[i]);
      }
    }
    return OkStatus();
  }

  // Runs one changed stage to completion, or restores its outputs from the
  // run cache when this exact run happened before, and records it.
  Result<StageResult> Execute(size_t index, ProjectHasher& hasher, bool prefix_output,
                              bool use_run_cache) {
    const StageNode& node = dag_.node(index);
    const Stage& stage = node.stage;
    ASSIGN_OR_RETURN(LockedStage inputs, observer_->LockInputs(node, hasher));
    if (use_run_cache && IsRunCacheable(stage)) {
      ASSIGN_OR_RETURN(bool restored, RestoreFromRunCache(node, inputs));
      if (restored)
        return StageResult::kRestored;
    }
    // Outputs are removed before the run so a stage never sees stale results,
    // unless persist: true, in which case a cache link becomes a private copy.
    for (size_t i = 0; i < stage.outs.size(); ++i) {
      fs::path absolute = project_.root() / node.out_paths[i];
      if (stage.outs[i].persist) {
        if (PathExists(absolute))
          RETURN_IF_ERROR(cache_->store().Unprotect(absolute));
      } else {
        RETURN_IF_ERROR(RemovePath(absolute));
      }
    }
    fs::path cwd = project_.root() / node.wdir;
    for (const std::string& command : stage.cmd) {
      listener_.CommandStarting(node, command);
      CommandSpec spec{command, cwd, prefix_output ? "[" + node.Address() + "] " : ""};
      ASSIGN_OR_RETURN(CommandResult result, runner_.Run(spec));
      if (InterruptSignal() != 0) {
        return Error(Code::kCancelled, "stage '{}' was interrupted by signal {}", node.Address(),
                     InterruptSignal());
      }
      if (!result.ok()) {
        return Error(Code::kFailed, "stage '{}' failed: command '{}' {}", node.Address(), command,
                     result.Describe());
      }
    }
    RETURN_IF_ERROR(Commit(node, hasher));
    return StageResult::kRan;
  }

  // Looks the stage's inputs up in the run cache; when an entry's outputs
  // are all in the cache, checks them out and records the stage.
  Result<bool> RestoreFromRunCache(const StageNode& node, const LockedStage& inputs) {
    const Stage& stage = node.stage;
    LockedStage probe = inputs;
    for (const OutSpec& out : stage.outs)
      probe.outs.push_back({out.path, HashInfo{}, true});
    std::sort(probe.outs.begin(), probe.outs.end(),
              [](const LockEntry& a, const LockEntry& b) { return a.path < b.path; });
    ASSIGN_OR_RETURN(std::optional<std::string> key, ComputeRunCacheKey(probe));
    if (!key)
      return false;
    ASSIGN_OR_RETURN(std::vector<RunCacheEntry> entries,
                     LookupRunCache(cache_->store().cache_dir(), *key));
    for (RunCacheEntry& entry : entries) {
      bool complete = entry.stage.outs.size() == stage.outs.size();
      for (size_t i = 0; complete && i < stage.outs.size(); ++i) {
        const LockEntry* recorded = nullptr;
        for (const LockEntry& out : entry.stage.outs) {
          if (out.path == stage.outs[i].path)
            recorded = &out;
        }
        complete =
            recorded != nullptr && stage.outs[i].cache && cache_->store().Contains(recorded->hash);
      }
      if (!complete)
        continue;
      listener_.StageRestored(node);
      for (size_t i = 0; i < stage.outs.size(); ++i) {
        fs::path absolute = project_.root() / node.out_paths[i];
        for (const LockEntry& out : entry.stage.outs) {
          if (out.path != stage.outs[i].path)
            continue;
          RETURN_IF_ERROR(RemovePath(absolute));
          RETURN_IF_ERROR(cache_->store().Checkout(absolute, out.hash, cache_->link_types()));
        }
      }
      LockedStage locked = inputs;
      locked.outs = std::move(entry.stage.outs);
      RETURN_IF_ERROR(WriteLock(node, std::move(locked)));
      return true;
    }
    return false;
  }

  // Hashes the stage's deps and outs after a successful run, saves cached
  // outputs, writes the lock entry, and remembers the run in the run cache.
  Status Commit(const StageNode& node, ProjectHasher& hasher) {
    const Stage& stage = node.stage;
    ASSIGN_OR_RETURN(LockedStage locked, observer_->LockInputs(node, hasher));
    for (size_t i = 0; i < stage.outs.size(); ++i) {
      const OutSpec& out = stage.outs[i];
      fs::path absolute = project_.root() / node.out_paths[i];
      if (!PathExists(absolute)) {
        return Error(Code::kFailed, "stage '{}' did not create its output '{}'", node.Address(),
                     out.path);
      }
      ASSIGN_OR_RETURN(HashedObject hashed, hasher.get().Hash(absolute, true));
      if (out.cache) {
        RETURN_IF_ERROR(
            cache_->store()
                .Save(absolute, hashed.hash, hashed.tree ? &*hashed.tree : nullptr)
                .WithContext(fmt::format("stage '{}': output '{}'", node.Address(), out.path)));
        // Git must not track what the cache holds: DVC adds "/name" to the
        // .gitignore beside each cached output.
        if (project_.UsesGit())
          RETURN_IF_ERROR(AddToGitignore(absolute).status());
        // With a link-based cache.type the output becomes links into the
        // cache, as DVC leaves it after a run.
        LinkType first = cache_->link_types().front();
        if (first == LinkType::kHardlink || first == LinkType::kSymlink) {
          RETURN_IF_ERROR(cache_->store().Checkout(absolute, hashed.hash, cache_->link_types()));
        }
      }
      locked.outs.push_back({out.path, hashed.hash, true, IsExecutableFile(absolute)});
    }
    std::sort(locked.outs.begin(), locked.outs.end(),
              [](const LockEntry& a, const LockEntry& b) { return a.path < b.path; });
    if (IsRunCacheable(stage)) {
      RETURN_IF_ERROR(SaveRunCache(cache_->store().cache_dir(), locked).status());
    }
    return WriteLock(node, std::move(locked));
  }

  Status WriteLock(const StageNode& node, LockedStage locked) {
    std::lock_guard<std::mutex> lock(lock_mu_);
    ASSIGN_OR_RETURN(LockFile * file, LockFor(node));
    LockFile updated = *file;
    updated.Upsert(std::move(locked));
    std::string path = Workspace::LockPathFor(node.dvcfile);
    RETURN_IF_ERROR(WriteLockFile(project_.root() / path, updated));
    *file = std::move(updated);
    listener_.LockWritten(path);
    return OkStatus();
  }

  Result<ReproSummary> Run(const ReproOptions& options) {
    ASSIGN_OR_RETURN(std::vector<size_t> selected,
                     dag_.Select(options.targets, options.single_item, options.downstream));
    RETURN_IF_ERROR(CheckInputsExist(selected));
    int jobs = std::max(1, options.jobs);
    // With one stage at a time, hashing gets every core; with several, the
    // stages share them.
    int hash_threads = jobs == 1 ? 0 : 1;

    std::vector<bool> in_run(dag_.nodes().size(), false);
    for (size_t index : selected)
      in_run[index] = true;
    enum class State { kPending, kRunning, kDone, kFailed };
    std::vector<State> state(dag_.nodes().size(), State::kPending);
    std::vector<StageResult> results(dag_.nodes().size(), StageResult::kNotRun);
    // Stages that will (or, dry, would) run: their dependents must rerun.
    std::vector<bool> reran(dag_.nodes().size(), false);
    Status first_error;

    std::mutex mu;
    std::condition_variable cv;
    int running = 0;
    std::vector<std::thread> threads;

    auto process = [&](size_t index, ProjectHasher& hasher) -> std::pair<StageResult, Status> {
      const StageNode& node = dag_.node(index);
      auto report = Report(index, hasher);
      if (!report.ok())
        return {StageResult::kFailed, report.status()};
      std::vector<Change> why = report->changes;
      bool upstream_reran = false;
      {
        std::lock_guard<std::mutex> lock(mu);
        for (size_t up : dag_.upstream(index))
          upstream_reran = upstream_reran || reran[up];
      }
      if (why.empty() && options.force)
        why.push_back({ChangeKind::kAlwaysChanged, "--force", ""});
      if (why.empty() && options.dry && upstream_reran) {
        why.push_back({ChangeKind::kDepModified, "(an upstream stage runs first)", ""});
      }
      if (why.empty()) {
        listener_.StageSkipped(node, "didn't change");
        return {StageResult::kUpToDate, OkStatus()};
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        reran[index] = true;
      }
      listener_.StageStarting(node, why);
      if (options.dry) {
        for (const std::string& command : node.stage.cmd)
          listener_.CommandStarting(node, command);
        return {StageResult::kWouldRun, OkStatus()};
      }
      // As in DVC, --force always runs the command: no run-cache restore.
      auto result = Execute(index, hasher, jobs > 1, options.run_cache && !options.force);
      if (!result.ok())
        return {StageResult::kFailed, result.status()};
      return {*result, OkStatus()};
    };

    auto upstream_state = [&](size_t index) {
      // kDone when all selected upstream stages succeeded, kFailed when one
      // failed, kPending otherwise.
      for (size_t up : dag_.upstream(index)) {
        if (!in_run[up])
          continue;
        if (state[up] == State::kFailed)
          return State::kFailed;
        if (state[up] != State::kDone)
          return State::kPending;
      }
      return State::kDone;
    };

    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      if (InterruptSignal() != 0 && first_error.ok()) {
        first_error = Error(Code::kCancelled, "interrupted by signal {}", InterruptSignal());
      }
      bool pending = false;
      bool launched = false;
      for (size_t index : selected) {
        if (state[index] != State::kPending)
          continue;
        State up = upstream_state(index);
        if (up == State::kFailed || (!first_error.ok() && up != State::kPending)) {
          // Downstream of a failure, or stopping after one: never starts.
          state[index] = State::kFailed;
          results[index] = StageResult::kNotRun;
          launched = true;
          continue;
        }
        pending = true;
        if (up != State::kDone || running >= jobs)
          continue;
        state[index] = State::kRunning;
        ++running;
        launched = true;
        threads.emplace_back([&, index] {
          std::pair<StageResult, Status> outcome;
          auto hasher = cache_->NewHasher(hash_threads);
          if (hasher.ok()) {
            outcome = process(index, **hasher);
          } else {
            outcome = {StageResult::kFailed, hasher.status()};
          }
          listener_.StageFinished(dag_.node(index), outcome.first, outcome.second);
          std::lock_guard<std::mutex> guard(mu);
          results[index] = outcome.first;
          state[index] = outcome.first == StageResult::kFailed ? State::kFailed : State::kDone;
          if (!outcome.second.ok() && first_error.ok())
            first_error = outcome.second;
          --running;
          cv.notify_all();
        });
      }
      if (!pending && running == 0)
        break;
      if (!launched)
        cv.wait(lock);
    }
    lock.unlock();
    for (std::thread& thread : threads)
      thread.join();

    ReproSummary summary;
    for (size_t index : selected)
      summary.stages.emplace_back(dag_.node(index).Address(), results[index]);
    if (!first_error.ok())
      return first_error;
    return summary;
  }

  Result<std::vector<StageReport>> Inspect(const std::vector<std::string>& targets) {
    ASSIGN_OR_RETURN(std::vector<size_t> selected, dag_.Select(targets, false, false));
    ASSIGN_OR_RETURN(std::unique_ptr<ProjectHasher> hasher, cache_->NewHasher());
    std::vector<StageReport> reports;
    for (size_t index : selected) {
      ASSIGN_OR_RETURN(StageReport report, Report(index, *hasher));
      reports.push_back(std::move(report));
    }
    return reports;
  }

 private:
  // Requires lock_mu_.
  Result<LockFile*> LockFor(const StageNode& node) {
    std::string path = Workspace::LockPathFor(node.dvcfile);
    auto it = locks_.find(path);
    if (it == locks_.end()) {
      ASSIGN_OR_RETURN(LockFile file, ReadLockFile(project_.root() / path));
      it = locks_.emplace(path, std::move(file)).first;
    }
    return &it->second;
  }

  // Constant after construction.
  const Project& project_;
  const Dag& dag_;
  CommandRunner& runner_;
  ReproListener& listener_;
  std::unique_ptr<ProjectCache> cache_;      // thread-safe; set by Open
  std::unique_ptr<StageObserver> observer_;  // thread-safe; set by Open

  std::mutex lock_mu_;
  std::map<std::string, LockFile> locks_;  // guarded by lock_mu_: lock path -> contents
};

Repro::Repro(const Project& project, const Workspace& workspace, CommandRunner& runner,
             ReproListener& listener)
    : impl_(std::make_unique<Impl>(project, workspace, runner, listener)) {}

Repro::~Repro() = default;

Result<ReproSummary> Repro::Run(const ReproOptions& options) {
  RETURN_IF_ERROR(impl_->Open());
  return impl_->Run(options);
}

Result<std::vector<StageReport>> Repro::Inspect(const std::vector<std::string>& targets) {
  RETURN_IF_ERROR(impl_->Open());
  return impl_->Inspect(targets);
}

}  // namespace conveyor
