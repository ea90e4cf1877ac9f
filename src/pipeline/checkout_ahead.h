// Checking out, while `pull` downloads, the outputs the workspace lacks.
//
// A plain pull fetches every object and only then copies each one from the
// cache into the workspace, so with `cache.type` copy (or reflink on a file
// system without reflinks) the copy of the whole data set follows the
// downloads. CheckoutAhead places each file as soon as its object is in the
// cache, on the fetch's worker thread, so the copies overlap the downloads
// still in flight. It only ever writes where nothing was: an output that
// exists in the workspace, in any state, is left to CheckoutWorkspace, which
// then skips the outputs placed here (CheckoutOptions::placed).
//
// Use: Plan() once the directory listings are in the cache
// (TransferOptions::listings_ready), Stored(md5) for each object fetched
// (TransferOptions::stored), then Finish() for CheckoutWorkspace; Undo() if
// the fetch failed, which removes everything Plan and Stored created, so a
// failed pull leaves the workspace as it found it.
//
// Thread safety: Stored may be called from many threads at once; Plan,
// Finish and Undo from one thread, not concurrently with Stored.
#pragma once

#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pipeline/checkout.h"
#include "pipeline/project_cache.h"
#include "pipeline/workspace.h"

namespace conveyor {

class CheckoutAhead {
 public:
  // `cache` and `workspace` must outlive this object.
  CheckoutAhead(ProjectCache& cache, const Workspace& workspace, std::vector<std::string> targets);

  // Chooses every recorded output (of the targets) that is absent from the
  // workspace and none of whose file objects is in the cache yet, so that
  // each of its files arrives through Stored; creates their directories.
  // Best effort: an output it cannot plan is left to CheckoutWorkspace.
  void Plan();

  // Copies (or links) object `md5`, now in the cache, to every planned path
  // that has this content. A failure only keeps its output out of Finish.
  void Stored(const std::string& md5);

  // Once the fetch has succeeded: removes again the planned outputs that are
  // not completely in place (an object the remote lacked, a copy that
  // failed), so CheckoutWorkspace finds them absent as before, and returns
  // the others (project-relative).
  std::set<std::string> Finish();

  // Removes the planned outputs from the workspace again.
  void Undo();

 private:
  struct Output {
    std::string path;               // project-relative
    std::filesystem::path created;  // the highest directory or file Plan made for it
    size_t remaining = 0;           // files not placed yet; guarded by mu_
    bool failed = false;            // guarded by mu_
  };
  // Where one content goes: output index and absolute target.
  using Target = std::pair<size_t, std::filesystem::path>;

  // Adds `entry` to the plan if it qualifies (see Plan).
  void PlanOutput(const RecordedOutput& entry);

  ProjectCache& cache_;
  const Workspace& workspace_;
  const std::vector<std::string> targets_;
  // Constant after Plan.
  std::vector<Output> outputs_;
  std::unordered_map<std::string, std::vector<Target>> by_md5_;
  std::mutex mu_;
};

}  // namespace conveyor
