#include "pipeline/run_cache.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/temp_dir.h"

namespace conveyor {
namespace {

// Key, value and file bytes computed in Python with DVC's own recipe
// (dict_filter + json.dumps(sort_keys=True) + sha256; ruamel dump as
// dump_yaml) for the stage Sample() builds.
constexpr std::string_view kKey =
    "e632cfd001e30ba2b1faefd3d867a77a7a78eaef5230bda79bde893343ae9a03";
constexpr std::string_view kValue =
    "923735ae06f14605e98e2e54a7aa63bf567d5d59c3a2dee13cf525ffddc86e87";
constexpr std::string_view kEntryYaml = R"__(
cmd: python train.py
deps:
- path: data
  hash: md5
  md5: 3863d0e317dee0a55c4e59d2ec0eef33.dir
  size: 1024
  nfiles: 3
- path: train.py
  hash: md5
  md5: 0a4bea2a1a4c4a4bf6c9e3a9e5f2b6d1
  size: 512
params:
  params.yaml:
    size: 10
    train.layers:
    - 64
    - size: 3
      nfiles: 1
      k: 1.0
    train.lr: 0.001
    train.name: café
outs:
- path: model.pkl
  hash: md5
  md5: '00000000000000000000000000000123'
  size: 7
)__";

LockEntry Entry(std::string path, std::string md5, uint64_t size,
                std::optional<uint64_t> nfiles = std::nullopt) {
  LockEntry e;
  e.path = std::move(path);
  e.hash.md5 = std::move(md5);
  e.hash.size = size;
  e.hash.nfiles = nfiles;
  return e;
}

LockedStage Sample() {
  LockedStage stage;
  stage.name = "train";
  stage.cmd = {"python train.py"};
  stage.deps = {Entry("train.py", "0a4bea2a1a4c4a4bf6c9e3a9e5f2b6d1", 512),
                Entry("data", "3863d0e317dee0a55c4e59d2ec0eef33.dir", 1024, 3)};
  // "size" is dropped from the hashed dict like any other "size" key.
  stage.params = {{"params.yaml", nlohmann::ordered_json::parse(R"({
      "train.name": "caf\u00e9", "train.lr": 0.001, "size": 10,
      "train.layers": [64, {"size": 3, "nfiles": 1, "k": 1.0}]})")}};
  stage.outs = {Entry("model.pkl", "00000000000000000000000000000123", 7)};
  return stage;
}

TEST(RunCacheTest, KeyAndValueMatchDvc) {
  auto key = ComputeRunCacheKey(Sample());
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  ASSERT_TRUE(key->has_value());
  EXPECT_EQ(**key, kKey);
  auto value = ComputeRunCacheValue(Sample());
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, kValue);
}

TEST(RunCacheTest, KeyIgnoresOutputHashesButValueDoesNot) {
  LockedStage other = Sample();
  other.outs[0].hash.md5 = "ffffffffffffffffffffffffffffffff";
  EXPECT_EQ(**ComputeRunCacheKey(other), kKey);
  EXPECT_NE(*ComputeRunCacheValue(other), kValue);
  other.cmd = {"python train.py --fast"};
  EXPECT_NE(**ComputeRunCacheKey(other), kKey);
}

TEST(RunCacheTest, NoKeyForStagesDvcWouldNotCache) {
  LockedStage no_outs = Sample();
  no_outs.outs.clear();
  EXPECT_FALSE(ComputeRunCacheKey(no_outs)->has_value());
  LockedStage no_deps = Sample();
  no_deps.deps.clear();
  no_deps.params.clear();
  EXPECT_FALSE(ComputeRunCacheKey(no_deps)->has_value());
  LockedStage unhashed = Sample();
  unhashed.deps[0].hash.md5.clear();
  EXPECT_FALSE(ComputeRunCacheKey(unhashed)->has_value());
  LockedStage params_only = Sample();
  params_only.deps.clear();
  EXPECT_TRUE(ComputeRunCacheKey(params_only)->has_value());
}

TEST(RunCacheTest, SaveWritesDvcLayoutAndLookupFindsIt) {
  testing::TempDir dir;
  const auto cache_dir = dir / ".dvc/cache";
  auto saved = SaveRunCache(cache_dir, Sample());
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  ASSERT_TRUE(saved->has_value());
  const auto expected =
      cache_dir / "runs" / std::string(kKey.substr(0, 2)) / std::string(kKey) / std::string(kValue);
  EXPECT_EQ(**saved, expected);
  EXPECT_EQ(testing::ReadFile(expected), kEntryYaml.substr(1));
  EXPECT_EQ(**SaveRunCache(cache_dir, Sample()), expected);  // already there

  auto entries = LookupRunCache(cache_dir, kKey);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].value, kValue);
  EXPECT_EQ((*entries)[0].stage.cmd, Sample().cmd);
  EXPECT_EQ((*entries)[0].stage.outs[0].hash.md5, "00000000000000000000000000000123");
}

TEST(RunCacheTest, LookupSkipsCorruptEntriesAndOrdersNewestFirst) {
  testing::TempDir dir;
  const auto key_dir = dir / "runs" / std::string(kKey.substr(0, 2)) / std::string(kKey);
  const std::string older(64, 'a');
  const std::string newer(64, 'b');
  testing::WriteFile(key_dir / older, "cmd: old\n");
  testing::WriteFile(key_dir / newer, "cmd: new\n");
  testing::WriteFile(key_dir / std::string(64, 'c'), "cmd: [\n");
  const auto now = std::filesystem::file_time_type::clock::now();
  std::filesystem::last_write_time(key_dir / older, now - std::chrono::hours(1));
  std::filesystem::last_write_time(key_dir / newer, now);
  auto entries = LookupRunCache(dir.path(), kKey);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].stage.cmd[0], "new");
  EXPECT_EQ((*entries)[1].stage.cmd[0], "old");
  EXPECT_TRUE(LookupRunCache(dir / "nowhere", kKey)->empty());
  EXPECT_EQ(LookupRunCache(dir.path(), "../x").status().message(), "bad run-cache key '../x'");
}

TEST(RunCacheTest, IsRunCacheableFollowsDvcCanHash) {
  Stage stage;
  stage.cmd = {"python train.py"};
  stage.deps = {"data"};
  stage.outs = {OutSpec{.path = "model.pkl"}};
  EXPECT_TRUE(IsRunCacheable(stage));
  Stage always = stage;
  always.always_changed = true;
  EXPECT_FALSE(IsRunCacheable(always));
  Stage persist = stage;
  persist.outs[0].persist = true;
  EXPECT_FALSE(IsRunCacheable(persist));
  Stage uncached = stage;
  uncached.outs[0].cache = false;
  EXPECT_TRUE(IsRunCacheable(uncached));
  Stage params_only = stage;
  params_only.deps.clear();
  params_only.params = {ParamSpec{}};
  EXPECT_TRUE(IsRunCacheable(params_only));
  params_only.params.clear();
  EXPECT_FALSE(IsRunCacheable(params_only));
}

}  // namespace
}  // namespace conveyor
