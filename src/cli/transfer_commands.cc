// `conveyor push`, `fetch` and `pull`: move cache objects between the cache
// and a remote (remote/transfer.h), choosing the objects with the same
// collection gc uses (pipeline/gc.h) plus, on push, every registered model
// version's files, and rendering progress on stderr.
// `status --cloud` (status_command.cc) shares OpenTransferRemote.
//
// Thread safety: a command runs on the main thread; the progress renderer is
// called serialised by the transfer engine. Without targets the registry
// travels too (registry_transfer.h).
#include "cli/transfer_commands.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.h"
#include "cli/pipeline_commands.h"
#include "cli/registry_transfer.h"
#include "pipeline/checkout.h"
#include "pipeline/checkout_ahead.h"
#include "pipeline/gc.h"
#include "remote/dvc_config.h"
#include "remote/transfer.h"

namespace conveyor::cli {

Result<std::unique_ptr<RemoteStorage>> OpenTransferRemote(const Project& project,
                                                          const std::string& name) {
  ASSIGN_OR_RETURN(DvcConfig config, DvcConfig::Load(project.dvc_dir()));
  std::string chosen = name;
  if (chosen.empty()) {
    std::optional<std::string> fallback = config.DefaultRemote();
    if (!fallback.has_value()) {
      return Error(Code::kUsage,
                   "no remote given and no default remote set: add one with 'conveyor remote "
                   "add -d NAME URL', or name one with -r NAME");
    }
    chosen = *fallback;
  }
  ASSIGN_OR_RETURN(RemoteConfig remote, config.Remote(chosen));
  return OpenRemoteStorage(remote);
}

std::string HumanBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string WithCommas(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0)
      out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string FormatTransferProgress(std::string_view verb, const TransferProgress& p,
                                   double seconds) {
  double rate = seconds > 0 ? static_cast<double>(p.done_bytes) / seconds : 0;
  std::string line = fmt::format("{} {}/{} objects, {}", verb, WithCommas(p.done_objects),
                                 WithCommas(p.total_objects), HumanBytes(p.done_bytes));
  if (p.total_bytes != 0) {
    line += fmt::format(" of {} ({:.0f}%)", HumanBytes(p.total_bytes),
                        100.0 * static_cast<double>(std::min(p.done_bytes, p.total_bytes)) /
                            static_cast<double>(p.total_bytes));
  }
  line += fmt::format(", {}/s", HumanBytes(static_cast<uint64_t>(rate)));
  if (p.total_bytes > p.done_bytes && rate > 0) {
    auto eta = static_cast<uint64_t>(
        std::llround(static_cast<double>(p.total_bytes - p.done_bytes) / rate));
    line += eta >= 60 ? fmt::format(", ETA {}m{:02}s", eta / 60, eta % 60)
                      : fmt::format(", ETA {}s", eta);
  }
  return line;
}

namespace {

// Renders TransferProgress: one line rewritten in place on a terminal, plain
// lines at most every few seconds otherwise; nothing with -q.
class ProgressLine {
 public:
  ProgressLine(const Console& console, std::string verb)
      : enabled_(console.verbosity() >= 0),
        terminal_(::isatty(STDERR_FILENO) != 0),
        verb_(std::move(verb)),
        start_(Clock::now()),
        last_(start_) {}

  // Called for every object finished and every chunk moved (often): cheap
  // unless it is time to draw.
  void Update(const TransferProgress& p) {
    if (!enabled_)
      return;
    auto now = Clock::now();
    bool last = p.done_objects == p.total_objects;
    auto interval = terminal_ ? std::chrono::milliseconds(100) : std::chrono::seconds(5);
    if (!last && now - last_ < interval)
      return;
    last_ = now;
    std::string line =
        FormatTransferProgress(verb_, p, std::chrono::duration<double>(now - start_).count());
    if (terminal_) {
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
      drawn_ = true;
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
  }

  // Ends the in-place line so later output starts on its own line.
  void Finish() {
    if (drawn_)
      std::fprintf(stderr, "\r\033[K");
    drawn_ = false;
  }

 private:
  using Clock = std::chrono::steady_clock;
  const bool enabled_;
  const bool terminal_;
  const std::string verb_;
  const Clock::time_point start_;
  Clock::time_point last_;
  bool drawn_ = false;
};

enum class Direction { kPush, kFetch, kPull };

class TransferCommand : public Command {
 public:
  explicit TransferCommand(Direction direction) : direction_(direction) {}

  std::string_view Name() const override {
    switch (direction_) {
      case Direction::kPush:
        return "push";
      case Direction::kFetch:
        return "fetch";
      case Direction::kPull:
        return "pull";
    }
    return "";
  }
  std::string_view Summary() const override {
    switch (direction_) {
      case Direction::kPush:
        return "Upload the cache objects the workspace uses to a remote";
      case Direction::kFetch:
        return "Download the objects the workspace uses from a remote into the cache";
      case Direction::kPull:
        return "Fetch from a remote, then check out";
    }
    return "";
  }
  void Configure(CLI::App& app) override {
    app.add_option("targets", targets_, "Stages, .dvc files or paths (default: all)");
    app.add_option("-r,--remote", remote_, "Remote to use (default: core.remote)");
    app.add_option("-j,--jobs", jobs_, "Parallel transfers (default: 4 per core, at most 64)")
        ->check(CLI::PositiveNumber);
    app.add_flag("--json", json_, "Print the summary as a JSON object");
    app.add_flag("--no-registry", no_registry_,
                 direction_ == Direction::kPush
                     ? "Leave out the registry: model versions' files, experiment records, aliases"
                     : "Do not import the remote's experiment records into the registry");
    if (direction_ == Direction::kPull) {
      app.add_flag("-f,--force", force_, "Replace workspace changes that are not in the cache");
    }
    app.footer(fmt::format(
        "Examples:\n"
        "  conveyor {0}                     everything the workspace uses\n"
        "  conveyor {0} train -r backup     the outputs of stage 'train', remote 'backup'",
        Name()));
  }

  Status Run(const GlobalOptions& global, Console& console) override {
    Access access = direction_ == Direction::kPush ? Access::kRead : Access::kWrite;
    ASSIGN_OR_RETURN(std::unique_ptr<LoadedPipeline> loaded, LoadPipeline(global, access));
    ASSIGN_OR_RETURN(std::unique_ptr<RemoteStorage> remote,
                     OpenTransferRemote(loaded->project, remote_));
    ASSIGN_OR_RETURN(std::set<std::string> objects,
                     WorkspaceObjects(loaded->project, loaded->workspace, targets_, true));
    bool push = direction_ == Direction::kPush;
    // Without targets the registry travels too (registry_transfer.h).
    std::optional<ProjectRegistrySync> registry;
    if (targets_.empty() && !no_registry_) {
      ASSIGN_OR_RETURN(registry,
                       ProjectRegistrySync::Open(
                           loaded->project, push ? LostRegistry::kRefuse : LostRegistry::kCreate));
      if (push) {
        ASSIGN_OR_RETURN(std::set<std::string> models, registry->ModelObjects());
        objects.merge(models);
      }
    }
    ObjectStore store(loaded->project.cache_dir());
    ProgressLine progress(console, push ? "Pushing" : "Fetching");
    TransferOptions options{jobs_, [&](const TransferProgress& p) { progress.Update(p); }};
    // pull copies each object into the workspace as it arrives, where
    // nothing is yet (pipeline/checkout_ahead.h).
    std::unique_ptr<ProjectCache> cache;
    std::optional<CheckoutAhead> ahead;
    if (direction_ == Direction::kPull) {
      ASSIGN_OR_RETURN(cache, ProjectCache::Open(loaded->project));
      ahead.emplace(*cache, loaded->workspace, targets_);
      options.listings_ready = [&] { ahead->Plan(); };
      options.stored = [&](const std::string& md5) { ahead->Stored(md5); };
    }
    Result<TransferReport> report =
        push ? Push(store, *remote, objects, options) : Fetch(store, *remote, objects, options);
    progress.Finish();
    if (!report.ok()) {
      if (ahead.has_value())
        ahead->Undo();
      return report.status();
    }
    if (!report->missing.empty()) {
      console.Warn(fmt::format("{} objects are neither in the cache nor on {}: {}{}",
                               report->missing.size(), remote->Describe(), report->missing[0],
                               report->missing.size() > 1 ? ", …" : ""));
    }
    nlohmann::ordered_json registry_json;
    std::string registry_line;
    if (registry.has_value()) {
      ASSIGN_OR_RETURN(registry_line, push ? registry->Push(*remote, registry_json)
                                           : registry->Import(*remote, registry_json));
    }
    if (json_) {
      nlohmann::ordered_json json;
      json["remote"] = remote->Describe();
      json[push ? "pushed" : "fetched"] = report->transferred;
      json["bytes"] = report->transferred_bytes;
      json["already_present"] = report->present;
      json["missing"] = report->missing;
      if (!registry_json.is_null())
        json["registry"] = registry_json;
      console.Out(json.dump(2));
    } else {
      console.Out(fmt::format("{} file{} {} ({}), {} already {}", WithCommas(report->transferred),
                              report->transferred == 1 ? "" : "s", push ? "pushed" : "fetched",
                              HumanBytes(report->transferred_bytes), WithCommas(report->present),
                              push ? "on the remote" : "in the cache"));
      if (!registry_line.empty())
        console.Out(registry_line);
    }
    if (direction_ != Direction::kPull)
      return OkStatus();

    ASSIGN_OR_RETURN(std::unique_ptr<ProjectHasher> hasher, cache->NewHasher());
    CheckoutOptions checkout{targets_, force_, ahead->Finish()};
    ASSIGN_OR_RETURN(CheckoutReport done,
                     CheckoutWorkspace(*cache, loaded->workspace, hasher->get(), checkout));
    for (const std::string& path : done.added)
      console.Note("A\t" + path);
    for (const std::string& path : done.modified)
      console.Note("M\t" + path);
    if (!done.missing.empty()) {
      std::string list;
      for (const std::string& path : done.missing)
        list += (list.empty() ? "" : ", ") + path;
      return Error(Code::kNotFound, "not in the cache after fetching, so not checked out: {}",
                   list);
    }
    return OkStatus();
  }

 private:
  const Direction direction_;
  std::vector<std::string> targets_;
  std::string remote_;
  int jobs_ = 0;
  bool json_ = false;
  bool force_ = false;
  bool no_registry_ = false;
};

}  // namespace

std::unique_ptr<Command> MakePushCommand() {
  return std::make_unique<TransferCommand>(Direction::kPush);
}
std::unique_ptr<Command> MakeFetchCommand() {
  return std::make_unique<TransferCommand>(Direction::kFetch);
}
std::unique_ptr<Command> MakePullCommand() {
  return std::make_unique<TransferCommand>(Direction::kPull);
}

}  // namespace conveyor::cli
