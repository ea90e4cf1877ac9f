#include "pipeline/dag.h"

#include <gtest/gtest.h>

namespace conveyor {
namespace {

StageNode Node(std::string name, std::vector<std::string> deps, std::vector<std::string> outs,
               int line = 1) {
  StageNode node;
  node.stage.name = std::move(name);
  node.stage.where = {"dvc.yaml", line, 3};
  node.dvcfile = "dvc.yaml";
  node.wdir = ".";
  node.dep_paths = std::move(deps);
  node.out_paths = std::move(outs);
  return node;
}

std::vector<std::string> Names(const Dag& dag, const std::vector<size_t>& indexes) {
  std::vector<std::string> names;
  for (size_t i : indexes)
    names.push_back(dag.node(i).stage.name);
  return names;
}

TEST(JoinProjectPathTest, Normalises) {
  EXPECT_EQ(*JoinProjectPath(".", "data/raw"), "data/raw");
  EXPECT_EQ(*JoinProjectPath("sub", "./a/../b/"), "sub/b");
  EXPECT_EQ(*JoinProjectPath("sub", ".."), ".");
  EXPECT_EQ(JoinProjectPath(".", "../x").status().message(),
            "path '../x' leaves the project directory");
  EXPECT_EQ(JoinProjectPath(".", "/etc/passwd").status().code(), Code::kInvalid);
}

TEST(PathWithinTest, MatchesWholeComponentsOnly) {
  EXPECT_TRUE(PathWithin("a/b", "a"));
  EXPECT_TRUE(PathWithin("a", "a"));
  EXPECT_FALSE(PathWithin("ab", "a"));
  EXPECT_FALSE(PathWithin("a", "a/b"));
  EXPECT_TRUE(PathWithin("anything", "."));
}

TEST(DagTest, OrdersProducersBeforeConsumersAndKeepsFileOrderOtherwise) {
  auto dag = Dag::Build({Node("evaluate", {"model.bin", "data/test"}, {"metrics.json"}),
                         Node("train", {"data/train"}, {"model.bin"}),
                         Node("prepare", {"raw.csv"}, {"data"}), Node("lint", {}, {"lint.txt"})});
  ASSERT_TRUE(dag.ok()) << dag.status().message();
  EXPECT_EQ(Names(*dag, dag->order()),
            (std::vector<std::string>{"prepare", "train", "evaluate", "lint"}));
  // "data/train" is inside the output directory "data".
  EXPECT_EQ(Names(*dag, dag->upstream(1)), std::vector<std::string>{"prepare"});
  EXPECT_EQ(Names(*dag, dag->downstream(2)), (std::vector<std::string>{"evaluate", "train"}));
}

TEST(DagTest, DependencyOnDirectoryHoldingAnOutputLinksToItsProducer) {
  auto dag = Dag::Build({Node("a", {}, {"out/x.txt"}), Node("b", {"out"}, {"report"})});
  ASSERT_TRUE(dag.ok());
  EXPECT_EQ(Names(*dag, dag->upstream(1)), std::vector<std::string>{"a"});
}

TEST(DagTest, RejectsTwoProducersOfOneOutput) {
  auto dag = Dag::Build({Node("a", {}, {"model.bin"}, 2), Node("b", {}, {"model.bin"}, 7)});
  EXPECT_EQ(dag.status().message(),
            "output 'model.bin' is produced by both stage 'a' (dvc.yaml:2:3) and stage 'b' "
            "(dvc.yaml:7:3)");
}

TEST(DagTest, RejectsOutputInsideAnotherOutput) {
  auto dag = Dag::Build({Node("a", {}, {"data"}, 2), Node("b", {}, {"data-x", "data/sub"}, 5)});
  EXPECT_EQ(dag.status().message(),
            "output 'data/sub' of stage 'b' (dvc.yaml:5:3) lies inside output 'data' of stage "
            "'a' (dvc.yaml:2:3)");
}

TEST(DagTest, RejectsOutputOverlappingATrackedPath) {
  auto dag = Dag::Build({Node("a", {}, {"data/raw.csv"})}, {{"data", "data.dvc"}});
  EXPECT_EQ(dag.status().message(),
            "output 'data/raw.csv' of stage 'a' (dvc.yaml:1:3) lies inside output 'data' of "
            "'data.dvc'");
}

TEST(DagTest, NamesTheCycle) {
  auto dag = Dag::Build({Node("a", {"c.out"}, {"a.out"}), Node("b", {"a.out"}, {"b.out"}),
                         Node("c", {"b.out"}, {"c.out"})});
  EXPECT_EQ(dag.status().message(), "dependency cycle: a -> b -> c -> a");
}

TEST(DagTest, SelfDependencyIsACycle) {
  auto dag = Dag::Build({Node("a", {"x/y"}, {"x"})});
  EXPECT_EQ(dag.status().message(), "dependency cycle: a -> a");
}

TEST(DagTest, RejectsDuplicateStageNames) {
  auto dag = Dag::Build({Node("a", {}, {"1"}, 2), Node("a", {}, {"2"}, 9)});
  EXPECT_EQ(dag.status().message(),
            "dvc.yaml:9:3: stage 'a' is defined twice (first at dvc.yaml:2:3)");
}

TEST(DagTest, SelectsUpstreamDownstreamOrSingle) {
  auto dag =
      Dag::Build({Node("prepare", {"raw"}, {"clean"}), Node("train", {"clean"}, {"model"}),
                  Node("evaluate", {"model"}, {"metrics"}), Node("other", {"raw"}, {"other.out"})});
  ASSERT_TRUE(dag.ok());
  EXPECT_EQ(Names(*dag, *dag->Select({}, false, false)),
            (std::vector<std::string>{"prepare", "train", "evaluate", "other"}));
  EXPECT_EQ(Names(*dag, *dag->Select({"train"}, false, false)),
            (std::vector<std::string>{"prepare", "train"}));
  EXPECT_EQ(Names(*dag, *dag->Select({"train"}, true, false)), std::vector<std::string>{"train"});
  EXPECT_EQ(Names(*dag, *dag->Select({"train"}, false, true)),
            (std::vector<std::string>{"train", "evaluate"}));
  EXPECT_EQ(dag->Select({"trian"}, false, false).status().message(),
            "no stage named 'trian' (did you mean 'train'?)");
}

TEST(DagTest, ProducerOfFindsEnclosingOutputDirectory) {
  auto dag = Dag::Build({Node("a", {}, {"data/prepared"})}, {{"raw", "raw.dvc"}});
  ASSERT_TRUE(dag.ok());
  EXPECT_EQ(dag->ProducerOf("data/prepared/train.csv"), 0u);
  EXPECT_EQ(dag->ProducerOf("data"), std::nullopt);
  EXPECT_TRUE(dag->IsTracked("raw/images/1.png"));
  EXPECT_FALSE(dag->IsTracked("rawer"));
}

}  // namespace
}  // namespace conveyor
