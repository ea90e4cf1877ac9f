#include "pipeline/file_reader.h"

#include <gtest/gtest.h>

#include <map>

#include "pipeline/dvc_yaml.h"
#include "pipeline/workspace.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

TEST(FileReaderTest, DiskReaderReadsFilesUnderTheRoot) {
  testing::TempDir dir;
  testing::WriteFile(dir / "sub/a.txt", "a\n");
  FileReader read = DiskFileReader(dir.path());
  EXPECT_EQ(*read("sub/a.txt"), std::optional<std::string>("a\n"));
  EXPECT_EQ(*read("missing.txt"), std::nullopt);
  EXPECT_EQ(read("sub").status().message(), "'sub' is a directory");
}

// dvc.yaml, params.yaml and vars files all come through the reader: here a
// map, as for the files of a Git commit.
TEST(FileReaderTest, PipelinesLoadThroughAReader) {
  std::map<std::string, std::string> files = {
      {"sub/dvc.yaml",
       "vars:\n- cfg.yaml\nstages:\n  s:\n    cmd: run ${lr} ${size}\n    params: [lr]\n"},
      {"sub/params.yaml", "lr: 0.5\n"},
      {"sub/cfg.yaml", "size: 3\n"},
      {"data.dvc", "outs:\n- md5: 900150983cd24fb0d6963f7d28e17f72\n  size: 3\n  path: data\n"},
  };
  std::vector<std::string> asked;
  FileReader read = [&](const std::string& path) -> Result<std::optional<std::string>> {
    asked.push_back(path);
    auto it = files.find(path);
    return it == files.end() ? std::optional<std::string>() : std::optional(it->second);
  };
  auto pipeline = LoadDvcYaml(read, "sub/dvc.yaml");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status().message();
  EXPECT_EQ(pipeline->stages[0].cmd, std::vector<std::string>{"run 0.5 3"});
  EXPECT_EQ(asked, (std::vector<std::string>{"sub/dvc.yaml", "sub/params.yaml", "sub/cfg.yaml"}));

  auto workspace = Workspace::LoadFiles(read, {"data.dvc", "sub/dvc.yaml"});
  ASSERT_TRUE(workspace.ok()) << workspace.status().message();
  EXPECT_EQ(workspace->dag().nodes().size(), 1u);
  ASSERT_EQ(workspace->tracked().size(), 1u);
  EXPECT_TRUE(workspace->dag().IsTracked("data"));

  EXPECT_EQ(LoadDvcYaml(read, "other/dvc.yaml").status().message(),
            "'other/dvc.yaml' does not exist");
}

}  // namespace
}  // namespace conveyor
