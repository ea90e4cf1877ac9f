#include "pipeline/dvc_file.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

// Goldens: ruamel.yaml 0.17.21 configured as DVC's dump_yaml, fed the dict
// Output.dumpd / stage.utils.get_dump build; the rewrite goldens also went
// through DVC's apply_diff onto the round-tripped old file, as
// serialize.to_single_stage_file does.

HashInfo Hash(std::string md5, uint64_t size, std::optional<uint64_t> nfiles = std::nullopt) {
  HashInfo h;
  h.md5 = std::move(md5);
  h.size = size;
  h.nfiles = nfiles;
  return h;
}

std::string Format(const DvcFile& file) {
  auto text = FormatDvcFile(file);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? *text : "";
}

TEST(DvcFileTest, FileAsDvcAddWritesIt) {
  EXPECT_EQ(Format(MakeAddedDvcFile("data.xml", Hash("a304afb96060aad90176268345e10355", 20))),
            "outs:\n"
            "- md5: a304afb96060aad90176268345e10355\n"
            "  size: 20\n"
            "  hash: md5\n"
            "  path: data.xml\n");
}

TEST(DvcFileTest, DirectoryAsDvcAddWritesIt) {
  EXPECT_EQ(Format(MakeAddedDvcFile("data", Hash("3863d0e317dee0a55c4e59d2ec0eef33.dir", 1024, 3))),
            "outs:\n"
            "- md5: 3863d0e317dee0a55c4e59d2ec0eef33.dir\n"
            "  size: 1024\n"
            "  nfiles: 3\n"
            "  hash: md5\n"
            "  path: data\n");
}

constexpr std::string_view kFull =
    "desc: 'Raw images, see https://example.com: v2'\n"
    "outs:\n"
    "- md5: 0a4bea2a1a4c4a4bf6c9e3a9e5f2b6d1\n"
    "  size: 512\n"
    "  isexec: true\n"
    "  hash: md5\n"
    "  path: run.sh\n"
    "  desc: entry point\n"
    "  type: script\n"
    "  labels:\n"
    "  - a\n"
    "  - b c\n"
    "  meta:\n"
    "    owner: me\n"
    "    n: 1\n"
    "  cache: false\n"
    "  persist: true\n"
    "  remote: s3\n"
    "  push: false\n"
    "meta:\n"
    "  source: camera\n"
    "  version: 2.0\n";

TEST(DvcFileTest, AllFieldsInDvcOrder) {
  DvcFile file =
      MakeAddedDvcFile("run.sh", Hash("0a4bea2a1a4c4a4bf6c9e3a9e5f2b6d1", 512), /*isexec=*/true);
  file.desc = "Raw images, see https://example.com: v2";
  file.meta = nlohmann::ordered_json::parse(R"({"source": "camera", "version": 2.0})");
  DvcOut& out = file.outs[0];
  out.desc = "entry point";
  out.type = "script";
  out.labels = {"a", "b c"};
  out.meta = nlohmann::ordered_json::parse(R"({"owner": "me", "n": 1})");
  out.cache = false;
  out.persist = true;
  out.remote = "s3";
  out.push = false;
  EXPECT_EQ(Format(file), kFull);

  auto parsed = ParseDvcFile(kFull, "run.sh.dvc");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->outs[0].labels, out.labels);
  EXPECT_EQ(parsed->meta, file.meta);
  EXPECT_EQ(Format(*parsed), kFull);
}

TEST(DvcFileTest, RewritingADvc2FileKeepsItsOrderAndAppendsHash) {
  auto file = ParseDvcFile(
      "outs:\n- md5: 8c7dd922ad47494fc02c388e12c00eac\n  size: 5\n  path: data.csv\n", "d.dvc");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_FALSE(file->outs[0].has_hash_field);
  DvcOut& out = file->outs[0];
  out.hash = Hash("e3b0c44298fc1c149afbf4c8996fb924", 6);
  out.has_hash_field = true;
  EXPECT_EQ(Format(*file),
            "outs:\n"
            "- md5: e3b0c44298fc1c149afbf4c8996fb924\n"
            "  size: 6\n"
            "  path: data.csv\n"
            "  hash: md5\n");
}

TEST(DvcFileTest, RewritingAHandOrderedFileKeepsItsOrder) {
  auto file = ParseDvcFile(
      "meta:\n  k: v\nouts:\n- path: data.csv\n  md5: 8c7dd922ad47494fc02c388e12c00eac\n"
      "  hash: md5\n  size: 5\n",
      "d.dvc");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  file->outs[0].hash.size = 7;
  EXPECT_EQ(Format(*file),
            "meta:\n"
            "  k: v\n"
            "outs:\n"
            "- path: data.csv\n"
            "  md5: 8c7dd922ad47494fc02c388e12c00eac\n"
            "  hash: md5\n"
            "  size: 7\n");
}

TEST(DvcFileTest, RejectsWhatItCannotRepresent) {
  EXPECT_EQ(ParseDvcFile("md5: abc\nouts: []\n", "x.dvc").status().message(),
            "x.dvc:1:1: 'md5' is not supported: conveyor reads .dvc files made by `dvc add`, not "
            "imports or command stages");
  EXPECT_EQ(ParseDvcFile("outs:\n- path: a\n  etag: x\n", "x.dvc").status().message(),
            "x.dvc:3:3: outs[0]: field 'etag' is not supported (conveyor reads local md5 outputs)");
  EXPECT_EQ(ParseDvcFile("outs:\n- md5: a\n", "x.dvc").status().message(),
            "x.dvc:2:3: outs[0] has no 'path'");
  EXPECT_EQ(ParseDvcFile("outz: []\n", "x.dvc").status().message(),
            "x.dvc:1:1: unknown key 'outz' (expected outs, desc, frozen, meta)");
}

TEST(DvcFileTest, ReadsScalarsAsWrittenAndRejectsAnEmptyFile) {
  auto file = ParseDvcFile("desc: 1.50\nouts:\n- path: 017\n  isexec: True\n", "x.dvc");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->desc, "1.50");
  EXPECT_EQ(file->outs[0].path, "017");
  EXPECT_TRUE(file->outs[0].isexec);
  EXPECT_EQ(ParseDvcFile("", "x.dvc").status().message(), "x.dvc: a .dvc file must be a mapping");
  EXPECT_EQ(ParseDvcFile("outs:\n- path: a\n  size: '5'\n", "x.dvc").status().message(),
            "x.dvc:3:9: 'size' must be a non-negative integer");
}

TEST(DvcFileTest, WriteAndReadBack) {
  testing::TempDir dir;
  const DvcFile file = MakeAddedDvcFile("data", Hash("3863d0e317dee0a55c4e59d2ec0eef33.dir", 1, 1));
  ASSERT_TRUE(WriteDvcFile(dir / "data.dvc", file).ok());
  auto read = ReadDvcFile(dir / "data.dvc");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->outs[0].hash, file.outs[0].hash);
  EXPECT_EQ(Format(*read), testing::ReadFile(dir / "data.dvc"));
}

TEST(AddToGitignoreTest, AppendsSlashEntryOnceLikeScmrepo) {
  testing::TempDir dir;
  auto added = AddToGitignore(dir / "data");
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_TRUE(*added);
  EXPECT_EQ(testing::ReadFile(dir / ".gitignore"), "/data\n");
  added = AddToGitignore(dir / "data");
  ASSERT_TRUE(added.ok());
  EXPECT_FALSE(*added);
  EXPECT_EQ(testing::ReadFile(dir / ".gitignore"), "/data\n");
}

TEST(AddToGitignoreTest, AddsANewlineFirstAndEscapesPatternCharacters) {
  testing::TempDir dir;
  testing::WriteFile(dir / "sub/.gitignore", "*.log");
  auto added = AddToGitignore(dir / "sub/weird[1]#?.csv");
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(testing::ReadFile(dir / "sub/.gitignore"), "*.log\n/weird\\[1\\]\\#\\?.csv\n");
}

}  // namespace
}  // namespace conveyor
