#include "pipeline/dag_render.h"

#include <gtest/gtest.h>

namespace conveyor {
namespace {

StageNode Node(std::string name, std::vector<std::string> deps, std::vector<std::string> outs) {
  StageNode node;
  node.stage.name = std::move(name);
  node.dvcfile = "dvc.yaml";
  node.dep_paths = std::move(deps);
  node.out_paths = std::move(outs);
  return node;
}

Dag Diamond() {
  return *Dag::Build({Node("load", {}, {"raw"}), Node("features", {"raw"}, {"f"}),
                      Node("labels", {"raw"}, {"l"}), Node("train", {"f", "l"}, {"model"})});
}

TEST(DagRenderTest, Dot) {
  Dag dag = Diamond();
  EXPECT_EQ(RenderDot(dag, dag.order()),
            "strict digraph {\n\t\"load\";\n\t\"features\";\n\t\"labels\";\n\t\"train\";\n"
            "\t\"load\" -> \"features\";\n\t\"load\" -> \"labels\";\n"
            "\t\"features\" -> \"train\";\n\t\"labels\" -> \"train\";\n}\n");
}

TEST(DagRenderTest, Mermaid) {
  Dag dag = Diamond();
  EXPECT_EQ(RenderMermaid(dag, dag.order()),
            "flowchart TD\n\tnode0[\"load\"]\n\tnode1[\"features\"]\n\tnode2[\"labels\"]\n"
            "\tnode3[\"train\"]\n\tnode0-->node1\n\tnode0-->node2\n\tnode1-->node3\n"
            "\tnode2-->node3\n");
}

TEST(DagRenderTest, AsciiTreeMarksRepeats) {
  Dag dag = Diamond();
  EXPECT_EQ(RenderAscii(dag, dag.order()),
            "load\n"
            "├── features\n"
            "│   └── train\n"
            "└── labels\n"
            "    └── train (see above)\n");
}

TEST(DagRenderTest, AsciiOfASubsetStartsAtItsOwnSources) {
  Dag dag = Diamond();
  EXPECT_EQ(RenderAscii(dag, {1, 3}), "features\n└── train\n");
}

}  // namespace
}  // namespace conveyor
