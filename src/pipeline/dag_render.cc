#include "pipeline/dag_render.h"

#include <fmt/core.h>

#include <functional>
#include <set>

namespace conveyor {

namespace {

std::string Quote(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

// Edges among `stages`, as (producer, consumer) pairs, in stage order.
std::vector<std::pair<size_t, size_t>> Edges(const Dag& dag, const std::vector<size_t>& stages) {
  std::set<size_t> shown(stages.begin(), stages.end());
  std::vector<std::pair<size_t, size_t>> edges;
  for (size_t consumer : stages) {
    for (size_t producer : dag.upstream(consumer)) {
      if (shown.count(producer) != 0)
        edges.emplace_back(producer, consumer);
    }
  }
  return edges;
}

}  // namespace

std::string RenderDot(const Dag& dag, const std::vector<size_t>& stages) {
  std::string text = "strict digraph {\n";
  for (size_t i : stages)
    text += "\t" + Quote(dag.node(i).Address()) + ";\n";
  for (auto [from, to] : Edges(dag, stages)) {
    text += fmt::format("\t{} -> {};\n", Quote(dag.node(from).Address()),
                        Quote(dag.node(to).Address()));
  }
  return text + "}\n";
}

std::string RenderMermaid(const Dag& dag, const std::vector<size_t>& stages) {
  std::string text = "flowchart TD\n";
  for (size_t i : stages) {
    std::string label = dag.node(i).Address();
    for (char& c : label) {
      if (c == '"')
        c = '\'';
    }
    text += fmt::format("\tnode{}[\"{}\"]\n", i, label);
  }
  for (auto [from, to] : Edges(dag, stages))
    text += fmt::format("\tnode{}-->node{}\n", from, to);
  return text;
}

std::string RenderAscii(const Dag& dag, const std::vector<size_t>& stages) {
  std::set<size_t> shown(stages.begin(), stages.end());
  std::set<size_t> printed;
  std::string text;
  std::function<void(size_t, const std::string&, bool, bool)> draw =
      [&](size_t i, const std::string& indent, bool last, bool root) {
        std::string line = root ? "" : indent + (last ? "└── " : "├── ");
        bool seen = !printed.insert(i).second;
        text += line + dag.node(i).Address() + (seen ? " (see above)" : "") + "\n";
        if (seen)
          return;
        std::vector<size_t> children;
        for (size_t child : dag.downstream(i)) {
          if (shown.count(child) != 0)
            children.push_back(child);
        }
        std::string next = root ? "" : indent + (last ? "    " : "│   ");
        for (size_t c = 0; c < children.size(); ++c) {
          draw(children[c], next, c + 1 == children.size(), false);
        }
      };
  for (size_t i : stages) {
    bool has_parent = false;
    for (size_t up : dag.upstream(i))
      has_parent = has_parent || shown.count(up) != 0;
    if (!has_parent)
      draw(i, "", true, true);
  }
  return text;
}

}  // namespace conveyor
