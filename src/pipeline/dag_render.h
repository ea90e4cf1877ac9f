// Text renderings of the stage graph for `conveyor dag`.
#pragma once

#include <string>
#include <vector>

#include "pipeline/dag.h"

namespace conveyor {

// Graphviz: `strict digraph {` with one quoted node per stage and one edge
// per dependency, producer -> consumer.
std::string RenderDot(const Dag& dag, const std::vector<size_t>& stages);

// Mermaid flowchart (renders on GitLab and GitHub inside ```mermaid blocks).
std::string RenderMermaid(const Dag& dag, const std::vector<size_t>& stages);

// A tree for the terminal: each source stage at the left, each consumer
// indented under its producer; a stage reached again is shown once more as
// "name (see above)" instead of repeating its subtree.
std::string RenderAscii(const Dag& dag, const std::vector<size_t>& stages);

}  // namespace conveyor
