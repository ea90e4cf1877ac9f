#include "pipeline/checkout_ahead.h"

#include <system_error>

namespace conveyor {

namespace fs = std::filesystem;

CheckoutAhead::CheckoutAhead(ProjectCache& cache, const Workspace& workspace,
                             std::vector<std::string> targets)
    : cache_(cache), workspace_(workspace), targets_(std::move(targets)) {}

void CheckoutAhead::Plan() {
  Result<std::vector<RecordedOutput>> recorded =
      RecordedOutputs(cache_.project(), workspace_, targets_);
  if (!recorded.ok())
    return;  // CheckoutWorkspace reports it
  for (const RecordedOutput& entry : *recorded)
    PlanOutput(entry);
}

void CheckoutAhead::PlanOutput(const RecordedOutput& entry) {
  fs::path root = cache_.project().root() / entry.path;
  std::error_code ec;
  if (fs::symlink_status(root, ec).type() != fs::file_type::not_found)
    return;  // something is there (or cannot be told): CheckoutWorkspace decides
  for (const Output& planned : outputs_) {
    if (planned.path == entry.path)
      return;  // recorded twice (a stage and a .dvc file): planned once
  }
  ObjectStore& store = cache_.store();
  std::vector<std::pair<std::string, fs::path>> files;  // md5, absolute target
  if (entry.hash.IsDir()) {
    Result<Tree> tree = store.LoadTree(entry.hash.md5);
    if (!tree.ok() || tree->entries.empty())
      return;
    for (const TreeEntry& file : tree->entries)
      files.emplace_back(file.md5, root / file.relpath);
  } else {
    files.emplace_back(entry.hash.md5, root);
  }
  for (const auto& [md5, target] : files) {
    if (store.Find(md5).has_value())
      return;  // partly in the cache already: no callback would place it
  }
  // The highest directory this plan creates: what Undo removes.
  fs::path top = root;
  while (top.parent_path() != top && !fs::exists(top.parent_path(), ec))
    top = top.parent_path();
  std::set<fs::path> parents;
  for (const auto& file : files)
    parents.insert(file.second.parent_path());
  for (const fs::path& parent : parents) {
    fs::create_directories(parent, ec);
    if (ec)
      return;  // CheckoutWorkspace will name the problem
  }
  size_t index = outputs_.size();
  outputs_.push_back({entry.path, top, files.size(), false});
  for (auto& [md5, target] : files)
    by_md5_[md5].emplace_back(index, std::move(target));
}

void CheckoutAhead::Stored(const std::string& md5) {
  auto it = by_md5_.find(md5);
  if (it == by_md5_.end())
    return;
  for (const auto& [index, target] : it->second) {
    Status placed = cache_.store().Checkout(target, HashInfo{md5}, cache_.link_types());
    std::lock_guard<std::mutex> lock(mu_);
    Output& output = outputs_[index];
    if (placed.ok())
      --output.remaining;
    else
      output.failed = true;
  }
}

std::set<std::string> CheckoutAhead::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> placed;
  for (const Output& output : outputs_) {
    if (output.remaining == 0 && !output.failed) {
      placed.insert(output.path);
    } else {
      std::error_code ec;
      fs::remove_all(output.created, ec);
    }
  }
  return placed;
}

void CheckoutAhead::Undo() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const Output& output : outputs_) {
    std::error_code ec;
    fs::remove_all(output.created, ec);
  }
  outputs_.clear();
  by_md5_.clear();
}

}  // namespace conveyor
