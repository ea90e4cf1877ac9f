// `conveyor dag`: show the stage graph.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/pipeline_commands.h"
#include "pipeline/dag_render.h"

namespace conveyor::cli {

namespace {

class DagCommand : public Command {
 public:
  std::string_view Name() const override { return "dag"; }
  std::string_view Summary() const override {
    return "Show how stages connect (a tree, Graphviz dot, or Mermaid)";
  }
  void Configure(CLI::App& app) override {
    app.add_option("target", target_, "Show only this stage and what it depends on");
    auto* dot = app.add_flag("--dot", dot_, "Print Graphviz dot");
    auto* mermaid =
        app.add_flag("--mermaid,--md", mermaid_, "Print a Mermaid flowchart")->excludes(dot);
    app.add_flag("--json", json_, "Print {stages: [...], edges: [[from, to], ...]}")
        ->excludes(dot)
        ->excludes(mermaid);
    app.footer(
        "Examples:\n"
        "  conveyor dag                       tree of all stages\n"
        "  conveyor dag --dot | dot -Tpng -o dag.png\n"
        "  conveyor dag train --mermaid       for a Markdown report");
  }
  Status Run(const GlobalOptions& global, Console& console) override {
    ASSIGN_OR_RETURN(std::unique_ptr<LoadedPipeline> loaded, LoadPipeline(global, Access::kRead));
    const Dag& dag = loaded->workspace.dag();
    std::vector<std::string> targets;
    if (!target_.empty())
      targets.push_back(target_);
    ASSIGN_OR_RETURN(std::vector<size_t> stages, dag.Select(targets, false, false));
    if (stages.empty()) {
      console.Note("No stages: add some to dvc.yaml.");
      return OkStatus();
    }
    if (json_) {
      nlohmann::ordered_json json;
      json["stages"] = nlohmann::ordered_json::array();
      json["edges"] = nlohmann::ordered_json::array();
      for (size_t i : stages) {
        const StageNode& node = dag.node(i);
        json["stages"].push_back({{"name", node.Address()},
                                  {"cmd", node.stage.cmd},
                                  {"deps", node.dep_paths},
                                  {"outs", node.out_paths}});
        for (size_t up : dag.upstream(i)) {
          if (std::find(stages.begin(), stages.end(), up) != stages.end()) {
            json["edges"].push_back({dag.node(up).Address(), node.Address()});
          }
        }
      }
      console.Out(json.dump(2));
    } else if (dot_) {
      console.Out(RenderDot(dag, stages));
    } else if (mermaid_) {
      console.Out(RenderMermaid(dag, stages));
    } else {
      console.Out(RenderAscii(dag, stages));
    }
    return OkStatus();
  }

 private:
  std::string target_;
  bool dot_ = false;
  bool mermaid_ = false;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeDagCommand() { return std::make_unique<DagCommand>(); }

}  // namespace conveyor::cli
