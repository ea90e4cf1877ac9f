#include "pipeline/lock_file.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

using nlohmann::ordered_json;

// Produced by ruamel.yaml 0.17.21 configured as DVC's dump_yaml, from the
// dict DVC's serialize.to_single_stage_lockfile builds for these stages
// (deps/outs sorted by path, params.yaml first, keys sorted one level deep).
constexpr std::string_view kGolden = R"__(
schema: '2.0'
stages:
  prepare:
    cmd: python src/prepare.py data/raw
    deps:
    - path: data/raw
      hash: md5
      md5: 3863d0e317dee0a55c4e59d2ec0eef33.dir
      size: 1024
      nfiles: 3
    - path: src/prepare.py
      hash: md5
      md5: 0a4bea2a1a4c4a4bf6c9e3a9e5f2b6d1
      size: 512
      isexec: true
    params:
      params.yaml:
        prepare.seed: 20170428
        prepare.split: 0.2
      conf/extra.yaml:
        a:
          z: 1
          b:
          - 1
          - 2
          - k: v
        flag: true
        none:
        tiny: 1e-05
        when: '2020-01-01'
    outs:
    - path: data/prepared
      hash: md5
      md5: 1234567890abcdef1234567890abcdef.dir
      size: 2048
      nfiles: 2
  train:
    cmd:
    - python src/train.py --data data/prepared --out models/model.pkl --epochs 10
      --lr 0.001
    - echo done
    deps:
    - path: data/prepared
      md5: 1234567890abcdef1234567890abcdef.dir
      size: 2048
      nfiles: 2
    outs:
    - path: metrics.json
      hash: md5
      md5: '1e100000000000000000000000000000'
      size: 30
    - path: models/model.pkl
      hash: md5
      md5: '00000000000000000000000000000123'
      size: 7
)__";

std::string Golden() { return std::string(kGolden.substr(1)); }

LockEntry Entry(std::string path, std::string md5, uint64_t size,
                std::optional<uint64_t> nfiles = std::nullopt) {
  LockEntry e;
  e.path = std::move(path);
  e.hash.md5 = std::move(md5);
  e.hash.size = size;
  e.hash.nfiles = nfiles;
  return e;
}

// The golden's stages, built in a deliberately unsorted order.
LockFile Sample() {
  LockedStage prepare;
  prepare.name = "prepare";
  prepare.cmd = {"python src/prepare.py data/raw"};
  LockEntry script = Entry("src/prepare.py", "0a4bea2a1a4c4a4bf6c9e3a9e5f2b6d1", 512);
  script.isexec = true;
  prepare.deps = {script, Entry("data/raw", "3863d0e317dee0a55c4e59d2ec0eef33.dir", 1024, 3)};
  prepare.params = {
      {"conf/extra.yaml", ordered_json::parse(R"({"when": "2020-01-01", "tiny": 1e-05,
          "none": null, "flag": true, "a": {"z": 1, "b": [1, 2, {"k": "v"}]}})")},
      {"params.yaml", ordered_json::parse(R"({"prepare.split": 0.2, "prepare.seed": 20170428})")},
  };
  prepare.outs = {Entry("data/prepared", "1234567890abcdef1234567890abcdef.dir", 2048, 2)};

  LockedStage train;
  train.name = "train";
  train.cmd = {
      "python src/train.py --data data/prepared --out models/model.pkl --epochs 10 --lr 0.001",
      "echo done"};
  train.cmd_is_list = true;
  LockEntry dvc2 = Entry("data/prepared", "1234567890abcdef1234567890abcdef.dir", 2048, 2);
  dvc2.has_hash_field = false;
  train.deps = {dvc2};
  train.outs = {Entry("models/model.pkl", "00000000000000000000000000000123", 7),
                Entry("metrics.json", "1e100000000000000000000000000000", 30)};
  LockFile lock;
  lock.stages = {prepare, train};
  return lock;
}

TEST(LockFileTest, FormatsLikeDvc) {
  auto text = FormatLockFile(Sample());
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, Golden());
}

TEST(LockFileTest, ParsesWhatDvcWroteAndWritesItBackByteForByte) {
  auto lock = ParseLockFile(Golden(), "dvc.lock");
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  ASSERT_EQ(lock->stages.size(), 2u);
  const LockedStage& prepare = lock->stages[0];
  EXPECT_EQ(prepare.name, "prepare");
  EXPECT_FALSE(prepare.cmd_is_list);
  ASSERT_EQ(prepare.deps.size(), 2u);
  EXPECT_EQ(prepare.deps[0].path, "data/raw");
  EXPECT_EQ(prepare.deps[0].hash.nfiles, 3u);
  EXPECT_TRUE(prepare.deps[0].has_hash_field);
  EXPECT_TRUE(prepare.deps[1].isexec);
  ASSERT_EQ(prepare.params.size(), 2u);
  EXPECT_EQ(prepare.params[0].file, "params.yaml");
  EXPECT_EQ(prepare.params[0].values["prepare.split"], 0.2);
  EXPECT_EQ(prepare.params[1].values["when"], "2020-01-01");
  EXPECT_TRUE(prepare.params[1].values["none"].is_null());
  const LockedStage& train = lock->stages[1];
  EXPECT_TRUE(train.cmd_is_list);
  EXPECT_EQ(train.cmd[0],
            "python src/train.py --data data/prepared --out models/model.pkl --epochs 10 --lr "
            "0.001");
  EXPECT_FALSE(train.deps[0].has_hash_field);
  EXPECT_EQ(train.outs[1].hash.md5, "00000000000000000000000000000123");

  auto again = FormatLockFile(*lock);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, Golden());
}

TEST(LockFileTest, UpsertReplacesInPlaceAndAppendsNewStages) {
  LockFile lock = Sample();
  LockedStage prepare = lock.stages[0];
  prepare.cmd = {"true"};
  lock.Upsert(prepare);
  LockedStage extra;
  extra.name = "evaluate";
  extra.cmd = {"true"};
  lock.Upsert(extra);
  ASSERT_EQ(lock.stages.size(), 3u);
  EXPECT_EQ(lock.stages[0].name, "prepare");
  EXPECT_EQ(lock.stages[0].cmd[0], "true");
  EXPECT_EQ(lock.stages[2].name, "evaluate");
  EXPECT_NE(lock.Find("train"), nullptr);
  EXPECT_TRUE(lock.Remove("train"));
  EXPECT_FALSE(lock.Remove("train"));
  EXPECT_EQ(lock.Find("train"), nullptr);
}

TEST(LockFileTest, WritesAtomicallyAndRemovesTheFileWhenEmpty) {
  testing::TempDir dir;
  const auto path = dir / "dvc.lock";
  auto missing = ReadLockFile(path);
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->stages.empty());
  ASSERT_TRUE(WriteLockFile(path, Sample()).ok());
  EXPECT_EQ(testing::ReadFile(path), Golden());
  auto read = ReadLockFile(path);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->stages.size(), 2u);
  EXPECT_EQ(read->stages[0].deps[0].path, "data/raw");  // sorted when written
  ASSERT_TRUE(WriteLockFile(path, LockFile{}).ok());
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(LockFileTest, LockedStageToJsonOmitsEmptySections) {
  LockedStage stage;
  stage.name = "s";
  stage.cmd = {"echo hi"};
  EXPECT_EQ(LockedStageToJson(stage).dump(), R"({"cmd":"echo hi"})");
}

Status ParseError(std::string_view text) { return ParseLockFile(text, "dvc.lock").status(); }

TEST(LockFileTest, RejectsDvc1LockFiles) {
  EXPECT_EQ(ParseError("train:\n  cmd: x\n").message(),
            "dvc.lock: no \"schema: '2.0'\" at the top; lock files from DVC 1 are not supported "
            "(remove it and rerun the pipeline to regenerate it)");
}

TEST(LockFileTest, ErrorsNameFileLineAndColumn) {
  EXPECT_EQ(ParseError("schema: 2.0\nstages: {}\n").message(),
            "dvc.lock:1:9: invalid schema version '2.0' (expected '2.0')");
  EXPECT_EQ(ParseError("schema: '2.0'\nstages:\n  s:\n    cmd: x\n    deps:\n    - path: a\n"
                       "      etag: abc\n")
                .message(),
            "dvc.lock:7:7: stage 's' deps[0]: field 'etag' is not supported (conveyor reads "
            "local md5 entries: path, hash, md5, size, nfiles, isexec)");
  EXPECT_EQ(ParseError("schema: '2.0'\nstages:\n  s:\n    deps: []\n").message(),
            "dvc.lock:4:5: stage 's' has no 'cmd'");
  EXPECT_EQ(ParseError("schema: '2.0'\nstages:\n  s:\n    cmd: x\n    frozen: true\n").message(),
            "dvc.lock:5:5: stage 's': unknown key 'frozen' (expected cmd, deps, params, outs)");
  EXPECT_EQ(ParseError("schema: '2.0'\nstages:\n  s:\n    cmd: x\n    outs:\n    - path: a\n"
                       "      hash: sha256\n")
                .message(),
            "dvc.lock:7:13: stage 's' outs[0]: hash 'sha256' is not supported (expected md5)");
  EXPECT_EQ(ParseError("schema: '2.0'\nstages:\n  s:\n    cmd: x\n    outs:\n    - path: a\n"
                       "      size: -1\n")
                .message(),
            "dvc.lock:7:13: stage 's' outs[0]: 'size' must be a non-negative integer");
  EXPECT_EQ(ParseError("schema: '2.0'\nstages: [\n").message(),
            "dvc.lock:3:1: end of sequence flow not found");
  EXPECT_EQ(ParseError("schema: '2.0'\ndatasets: []\n").message(),
            "dvc.lock:2:1: 'datasets' in dvc.lock are not supported");
}

TEST(LockFileTest, ParsesASingleStageForTheRunCache) {
  auto stage = ParseLockedStage(
      "cmd: echo\nouts:\n- path: o\n  hash: md5\n  md5: "
      "d41d8cd98f00b204e9800998ecf8427e\n  size: 0\n",
      "runs/ab/abc/def", "");
  ASSERT_TRUE(stage.ok()) << stage.status().ToString();
  EXPECT_EQ(stage->outs[0].hash.md5, "d41d8cd98f00b204e9800998ecf8427e");
}

}  // namespace
}  // namespace conveyor
