#include "cli/remote_serving.h"

#include <gtest/gtest.h>

#include <atomic>

#include "registry/model_ref.h"
#include "remote/local_storage.h"
#include "remote/transfer.h"
#include "serving/test_digits_registry.h"

namespace conveyor::cli {
namespace {

namespace fs = std::filesystem;

// A local remote that can be switched off, as a host going down would be.
class SwitchableStorage : public RemoteStorage {
 public:
  explicit SwitchableStorage(LocalStorage& inner, const std::atomic<bool>& down)
      : inner_(inner), down_(down) {}
  std::string Describe() const override { return inner_.Describe(); }
  bool CanList() const override { return true; }
  Result<std::vector<RemoteObject>> List(std::string_view prefix) override {
    RETURN_IF_ERROR(Reachable());
    return inner_.List(prefix);
  }
  Result<bool> Exists(std::string_view key) override {
    RETURN_IF_ERROR(Reachable());
    return inner_.Exists(key);
  }
  Result<FileDigest> Download(std::string_view key, const fs::path& dest,
                              const ByteProgress& progress) override {
    RETURN_IF_ERROR(Reachable());
    return inner_.Download(key, dest, progress);
  }
  Status Upload(const fs::path& source, std::string_view key,
                const ByteProgress& progress) override {
    RETURN_IF_ERROR(Reachable());
    return inner_.Upload(source, key, progress);
  }

 private:
  Status Reachable() const {
    return down_ ? Error(Code::kUnavailable, "cannot reach the test remote") : OkStatus();
  }
  LocalStorage& inner_;
  const std::atomic<bool>& down_;
};

// The digits registry of serving's fixture pushed to a local remote, and a
// mirror of it in a state directory.
class RemoteServingTest : public serving::testing::DigitsRegistryTest {
 protected:
  void SetUp() override {
    DigitsRegistryTest::SetUp();
    ASSERT_FALSE(HasFatalFailure());
    PushAll();
  }

  void PushAll() {
    std::set<std::string> models = RegistryModelObjects(*loader_store_).value();
    auto pushed = Push(objects_, local_, models, {});
    ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
    auto records = PushRegistry(*loader_store_, local_, dir_ / "scratch");
    ASSERT_TRUE(records.ok()) << records.status().ToString();
  }

  std::unique_ptr<RemoteMirror> OpenMirror() {
    auto mirror =
        RemoteMirror::Open(std::make_unique<SwitchableStorage>(local_, down_), dir_ / "state");
    EXPECT_TRUE(mirror.ok()) << mirror.status().ToString();
    return mirror.ok() ? std::move(mirror).value() : nullptr;
  }

  std::unique_ptr<RemoteModelLoader> LoaderFor(RemoteMirror& mirror) {
    return std::make_unique<RemoteModelLoader>(
        mirror, serving::BatchOptions{},
        [this](const std::string& warning) { warnings_.push_back(warning); });
  }

  LocalStorage local_{dir_ / "remote", "test-remote"};
  std::atomic<bool> down_{false};
  std::vector<std::string> warnings_;
};

TEST_F(RemoteServingTest, LoadsATaggedModelFetchedIntoTheMirror) {
  auto mirror = OpenMirror();
  ASSERT_NE(mirror, nullptr);
  auto loader = LoaderFor(*mirror);
  auto model = loader->Load("digits@aaa1111");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->identity().version, 1);
  EXPECT_TRUE(warnings_.empty());
  auto version = ResolveModelRef(mirror->store(), "digits@aaa1111");
  ASSERT_TRUE(version.ok());
  EXPECT_TRUE(mirror->objects().Find(version->md5).has_value());
  EXPECT_TRUE(fs::is_directory(mirror->serving_dir() / version->md5));
}

TEST_F(RemoteServingTest, UnreachableRemoteServesWhatTheMirrorHas) {
  {
    auto mirror = OpenMirror();
    ASSERT_NE(mirror, nullptr);
    ASSERT_TRUE(LoaderFor(*mirror)->Load("digits@aaa1111").ok());
  }
  down_ = true;
  auto mirror = OpenMirror();  // a restart, during the outage
  ASSERT_NE(mirror, nullptr);
  auto loader = LoaderFor(*mirror);
  auto model = loader->Load("digits@aaa1111");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ(warnings_.size(), 1U);
  EXPECT_NE(warnings_[0].find("cannot reach the test remote"), std::string::npos) << warnings_[0];

  auto unknown = loader->Load("digits@bbb2222");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), Code::kNotFound);
  EXPECT_NE(unknown.status().message().find("the remote could not be read"), std::string::npos)
      << unknown.status().message();
}

TEST_F(RemoteServingTest, FollowsAnAliasPushedAfterTheStart) {
  auto mirror = OpenMirror();
  ASSERT_NE(mirror, nullptr);
  auto loader = LoaderFor(*mirror);
  EXPECT_EQ(loader->Load("digits@production").status().code(), Code::kNotFound);
  ASSERT_TRUE(loader_store_->SetAlias("digits", "production", 1, "ada", "release").ok());
  PushAll();
  auto model = loader->Load("digits@production");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->identity().version, 1);
}

TEST_F(RemoteServingTest, BrokenRecordIsAnErrorNotServedAround) {
  for (const auto& entry : fs::recursive_directory_iterator(dir_ / "remote" / "conveyor")) {
    if (entry.is_regular_file() && entry.path().string().find("/experiments/") != std::string::npos)
      conveyor::testing::WriteFile(entry.path(), "{not json");
  }
  auto mirror = OpenMirror();
  ASSERT_NE(mirror, nullptr);
  auto model = LoaderFor(*mirror)->Load("digits@aaa1111");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), Code::kInvalid);
  EXPECT_NE(model.status().message().find("not valid JSON"), std::string::npos)
      << model.status().message();
}

TEST(ResolveServingRemoteTest, UrlsTakeCheckedOptions) {
  conveyor::testing::TempDir dir;
  auto remote = ResolveServingRemote(
      {.remote = "s3://bucket/models", .options = {"endpointurl=http://127.0.0.1:9000"}},
      dir.path());
  ASSERT_TRUE(remote.ok()) << remote.status().ToString();
  EXPECT_EQ(remote->url, "s3://bucket/models");
  EXPECT_EQ(remote->options.at("endpointurl"), "http://127.0.0.1:9000");

  auto unknown = ResolveServingRemote(
      {.remote = "s3://bucket/models", .options = {"endpoint=http://x"}}, dir.path());
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("endpointurl"), std::string::npos)
      << unknown.status().message();  // the nearest known option is suggested
  auto malformed =
      ResolveServingRemote({.remote = "/srv/store", .options = {"novalue"}}, dir.path());
  EXPECT_EQ(malformed.status().code(), Code::kUsage);
}

TEST(ResolveServingRemoteTest, MirrorDirDependsOnUrlAndEndpoint) {
  RemoteConfig a{.url = "s3://bucket/models"};
  RemoteConfig b = a;
  b.options["endpointurl"] = "http://127.0.0.1:9000";
  EXPECT_NE(DefaultMirrorDir(a), DefaultMirrorDir(b));
  EXPECT_EQ(DefaultMirrorDir(a), DefaultMirrorDir(RemoteConfig{.url = "s3://bucket/models"}));
  EXPECT_EQ(DefaultMirrorDir(a).parent_path().filename(), "remotes");
}

}  // namespace
}  // namespace conveyor::cli
