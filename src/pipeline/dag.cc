#include "pipeline/dag.h"

#include <fmt/core.h>

#include <algorithm>
#include <functional>
#include <map>

#include "common/nearest.h"

namespace conveyor {

std::string StageNode::Address() const {
  if (dvcfile == "dvc.yaml")
    return stage.name;
  return dvcfile + ":" + stage.name;
}

Result<std::string> JoinProjectPath(std::string_view base, std::string_view path) {
  if (!path.empty() && path.front() == '/') {
    return Error(Code::kInvalid, "path '{}' is absolute; use a path inside the project", path);
  }
  std::vector<std::string_view> parts;
  auto push = [&](std::string_view text) -> Status {
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('/', start);
      if (end == std::string_view::npos)
        end = text.size();
      std::string_view part = text.substr(start, end - start);
      if (part == "..") {
        if (parts.empty()) {
          return Error(Code::kInvalid, "path '{}' leaves the project directory", path);
        }
        parts.pop_back();
      } else if (!part.empty() && part != ".") {
        parts.push_back(part);
      }
      start = end + 1;
    }
    return OkStatus();
  };
  RETURN_IF_ERROR(push(base));
  RETURN_IF_ERROR(push(path));
  std::string joined;
  for (std::string_view part : parts) {
    if (!joined.empty())
      joined += '/';
    joined += part;
  }
  return joined.empty() ? std::string(".") : joined;
}

namespace {

// Orders paths as sequences of components: '/' sorts before every other byte.
int CompareComponentwise(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] == b[i])
      continue;
    auto rank = [](char c) { return c == '/' ? 0 : static_cast<unsigned char>(c) + 1; };
    return rank(a[i]) < rank(b[i]) ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

}  // namespace

std::string ParentDir(std::string_view relpath) {
  size_t slash = relpath.rfind('/');
  return slash == std::string_view::npos ? "." : std::string(relpath.substr(0, slash));
}

bool PathWithin(std::string_view inner, std::string_view outer) {
  if (outer == ".")
    return true;
  if (inner.size() < outer.size() || inner.compare(0, outer.size(), outer) != 0)
    return false;
  return inner.size() == outer.size() || inner[outer.size()] == '/';
}

Result<Dag> Dag::Build(std::vector<StageNode> nodes, std::vector<TrackedPath> tracked) {
  Dag dag;
  dag.nodes_ = std::move(nodes);
  dag.tracked_ = std::move(tracked);
  std::map<std::string, size_t> names;
  for (size_t i = 0; i < dag.nodes_.size(); ++i) {
    auto [it, inserted] = names.emplace(dag.nodes_[i].Address(), i);
    if (!inserted) {
      return Error(Code::kInvalid, "{}: stage '{}' is defined twice (first at {})",
                   dag.nodes_[i].stage.where.ToString(), dag.nodes_[i].stage.name,
                   dag.nodes_[it->second].stage.where.ToString());
    }
  }
  RETURN_IF_ERROR(dag.Link());
  RETURN_IF_ERROR(dag.CheckCycles());
  dag.ComputeOrder();
  return dag;
}

Status Dag::Link() {
  // Every output, and every path tracked by a .dvc file, with its owner.
  // Owners past nodes_.size() are tracked paths.
  struct Owned {
    std::string path;
    size_t owner;
  };
  std::vector<Owned> all;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    for (const std::string& out : nodes_[i].out_paths)
      all.push_back({out, i});
  }
  for (size_t t = 0; t < tracked_.size(); ++t)
    all.push_back({tracked_[t].path, nodes_.size() + t});
  // Component-wise order puts every path right after the paths enclosing it
  // ("a", "a/c", "a-b"), so one stack of enclosing paths finds every overlap.
  std::sort(all.begin(), all.end(), [](const Owned& a, const Owned& b) {
    int order = CompareComponentwise(a.path, b.path);
    return order != 0 ? order < 0 : a.owner < b.owner;
  });

  auto describe = [&](size_t owner) {
    if (owner < nodes_.size()) {
      return fmt::format("stage '{}' ({})", nodes_[owner].Address(),
                         nodes_[owner].stage.where.ToString());
    }
    return fmt::format("'{}'", tracked_[owner - nodes_.size()].dvcfile);
  };
  std::vector<const Owned*> enclosing;
  for (const Owned& item : all) {
    while (!enclosing.empty() && !PathWithin(item.path, enclosing.back()->path)) {
      enclosing.pop_back();
    }
    if (!enclosing.empty()) {
      const Owned& outer = *enclosing.back();
      if (outer.path == item.path) {
        return Error(Code::kAlreadyExists, "output '{}' is produced by both {} and {}", item.path,
                     describe(outer.owner), describe(item.owner));
      }
      return Error(Code::kInvalid, "output '{}' of {} lies inside output '{}' of {}", item.path,
                   describe(item.owner), outer.path, describe(outer.owner));
    }
    enclosing.push_back(&item);
  }

  for (const Owned& item : all) {
    if (item.owner < nodes_.size())
      outs_.emplace_back(item.path, item.owner);
  }
  std::sort(outs_.begin(), outs_.end());
  upstream_.assign(nodes_.size(), {});
  downstream_.assign(nodes_.size(), {});
  for (size_t i = 0; i < nodes_.size(); ++i) {
    std::vector<size_t> producers;
    for (const std::string& dep : nodes_[i].dep_paths) {
      // A stage output at or above the dependency...
      if (std::optional<size_t> producer = ProducerOf(dep))
        producers.push_back(*producer);
      // ...or below it, when the dependency is a directory holding outputs.
      auto it = std::lower_bound(outs_.begin(), outs_.end(), std::make_pair(dep + "/", size_t{0}));
      for (; it != outs_.end() && PathWithin(it->first, dep); ++it)
        producers.push_back(it->second);
    }
    std::sort(producers.begin(), producers.end());
    producers.erase(std::unique(producers.begin(), producers.end()), producers.end());
    for (size_t producer : producers) {
      upstream_[i].push_back(producer);
      downstream_[producer].push_back(i);
    }
  }
  return OkStatus();
}

std::optional<size_t> Dag::ProducerOf(std::string_view path) const {
  // Candidates are `path` itself and each of its parent directories.
  std::string candidate(path);
  for (;;) {
    auto it = std::lower_bound(outs_.begin(), outs_.end(), std::make_pair(candidate, size_t{0}));
    if (it != outs_.end() && it->first == candidate)
      return it->second;
    size_t slash = candidate.rfind('/');
    if (slash == std::string::npos)
      return std::nullopt;
    candidate.resize(slash);
  }
}

bool Dag::IsTracked(std::string_view path) const {
  return std::any_of(tracked_.begin(), tracked_.end(),
                     [&](const TrackedPath& t) { return PathWithin(path, t.path); });
}

Status Dag::CheckCycles() const {
  enum class Mark { kNew, kActive, kDone };
  std::vector<Mark> marks(nodes_.size(), Mark::kNew);
  std::vector<size_t> stack;
  std::function<Status(size_t)> visit = [&](size_t i) -> Status {
    marks[i] = Mark::kActive;
    stack.push_back(i);
    for (size_t up : upstream_[i]) {
      if (marks[up] == Mark::kActive) {
        // The cycle is the stack from `up` onwards, written in the order the
        // data flows: producer -> consumer.
        auto start = std::find(stack.begin(), stack.end(), up);
        std::string cycle = nodes_[up].Address();
        for (auto it = stack.end() - 1; it != start; --it)
          cycle += " -> " + nodes_[*it].Address();
        cycle += " -> " + nodes_[up].Address();
        return Error(Code::kInvalid, "dependency cycle: {}", cycle);
      }
      if (marks[up] == Mark::kNew)
        RETURN_IF_ERROR(visit(up));
    }
    stack.pop_back();
    marks[i] = Mark::kDone;
    return OkStatus();
  };
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (marks[i] == Mark::kNew)
      RETURN_IF_ERROR(visit(i));
  }
  return OkStatus();
}

void Dag::ComputeOrder() {
  std::vector<bool> placed(nodes_.size(), false);
  std::function<void(size_t)> place = [&](size_t i) {
    if (placed[i])
      return;
    placed[i] = true;
    for (size_t up : upstream_[i])
      place(up);
    order_.push_back(i);
  };
  for (size_t i = 0; i < nodes_.size(); ++i)
    place(i);
}

Result<size_t> Dag::Find(std::string_view name) const {
  std::vector<std::string> known;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].Address() == name || nodes_[i].stage.name == name)
      return i;
    known.push_back(nodes_[i].Address());
  }
  return Error(Code::kNotFound, "no stage named '{}'{}", name, DidYouMean(name, known));
}

Result<std::vector<size_t>> Dag::Select(const std::vector<std::string>& targets, bool single_item,
                                        bool downstream) const {
  if (targets.empty())
    return order_;
  std::vector<bool> wanted(nodes_.size(), false);
  std::function<void(size_t, bool)> mark = [&](size_t i, bool down) {
    if (wanted[i])
      return;
    wanted[i] = true;
    for (size_t next : down ? downstream_[i] : upstream_[i])
      mark(next, down);
  };
  for (const std::string& target : targets) {
    ASSIGN_OR_RETURN(size_t index, Find(target));
    if (single_item) {
      wanted[index] = true;
    } else {
      mark(index, downstream);
    }
  }
  std::vector<size_t> selected;
  for (size_t i : order_) {
    if (wanted[i])
      selected.push_back(i);
  }
  return selected;
}

}  // namespace conveyor
