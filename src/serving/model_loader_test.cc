#include "serving/model_loader.h"

#include <gtest/gtest.h>

#include "cache/hasher.h"
#include "common/md5.h"
#include "registry/sqlite_store.h"
#include "serving/test_digits_model.h"
#include "testing/temp_dir.h"

namespace conveyor::serving {
namespace {

namespace fs = std::filesystem;

// A project with the digits model trained into `model/`, saved to its cache
// and registered as digits v1 (alias production).
class ModelLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteDigitsModel(testing::TrainDigitsModel(), dir_ / "model");
    ASSERT_FALSE(HasFatalFailure());
    md5_ = Save(dir_ / "model");
    auto store = OpenSqliteStore(dir_ / ".conveyor" / "registry.db");
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
    Register(md5_, "model/model.yaml");
    ASSERT_TRUE(store_->SetAlias("digits", "production", 1, "test", "").ok());
    loader_ = std::make_unique<RegistryModelLoader>(store_.get()[0], objects_,
                                                    dir_ / ".conveyor" / "serving");
  }

  std::string Save(const fs::path& path) {
    Hasher hasher(nullptr, nullptr, {.threads = 1});
    auto hashed = hasher.Hash(path);
    EXPECT_TRUE(hashed.ok()) << hashed.status().message();
    const Tree* tree = hashed->tree.has_value() ? &*hashed->tree : nullptr;
    Status saved = objects_.Save(path, hashed->hash, tree);
    EXPECT_TRUE(saved.ok()) << saved.message();
    return hashed->hash.md5;
  }

  void Register(const std::string& md5, const std::string& spec_path,
                const std::string& path = "model") {
    auto version = store_->RegisterModelVersion(
        {.model = "digits", .path = path, .md5 = md5, .spec_path = spec_path});
    ASSERT_TRUE(version.ok()) << version.status().message();
  }

  conveyor::testing::TempDir dir_;
  ObjectStore objects_{dir_ / ".dvc" / "cache"};
  std::string md5_;
  std::unique_ptr<RegistryStore> store_;
  std::unique_ptr<RegistryModelLoader> loader_;
};

TEST_F(ModelLoaderTest, LoadsARegisteredVersionFromTheCache) {
  // The workspace copy is gone: only the cache has it.
  fs::remove_all(dir_ / "model");
  auto model = loader_->Load("digits@production");
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ((*model)->identity().name, "digits");
  EXPECT_EQ((*model)->identity().version, 1);
  EXPECT_EQ((*model)->identity().md5, md5_);
  EXPECT_EQ((*model)->identity().reference, "digits@production");
  EXPECT_TRUE((*model)->Check().ok()) << (*model)->Check().message();

  const fs::path served = loader_->ServingPath(md5_);
  EXPECT_EQ(served, dir_ / ".conveyor" / "serving" / md5_);
  ASSERT_TRUE(fs::exists(served / "model.yaml"));
  const fs::perms perms = fs::status(served / "model.json").permissions();
  EXPECT_EQ(perms & fs::perms::owner_write, fs::perms::none);

  // A second load reuses the directory (and works without the cache).
  fs::remove_all(dir_ / ".dvc" / "cache");
  auto again = loader_->Load("digits");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ((*again)->identity().version, 1);
}

TEST_F(ModelLoaderTest, UnknownReferencesAreNotFound) {
  auto missing = loader_->Load("digits@7");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  auto typo = loader_->Load("digit");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().code(), Code::kNotFound);
  EXPECT_NE(typo.status().message().find("digits"), std::string::npos) << typo.status().message();
  auto bad = loader_->Load("digits@");
  EXPECT_EQ(bad.status().code(), Code::kInvalid);
}

TEST_F(ModelLoaderTest, ObjectMissingFromTheCacheIsNotFound) {
  const std::string md5 = "0123456789abcdef0123456789abcdef.dir";
  Register(md5, "model/model.yaml");
  auto model = loader_->Load("digits@2");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), Code::kNotFound);
  EXPECT_EQ(model.status().message(),
            fmt::format("digits@2 (digits v2): object {} is not in the cache {}", md5,
                        (dir_ / ".dvc" / "cache").string()));
}

TEST_F(ModelLoaderTest, CorruptModelFileIsInvalidAndNamesTheFile) {
  testing::WriteDigitsModel(testing::TrainDigitsModel(), dir_ / "broken");
  conveyor::testing::WriteFile(dir_ / "broken" / "model.json", "{not json");
  Register(Save(dir_ / "broken"), "broken/model.yaml", "broken");
  auto model = loader_->Load("digits@2");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), Code::kInvalid);
  EXPECT_NE(model.status().message().find("model.json"), std::string::npos)
      << model.status().message();
  EXPECT_TRUE(model.status().message().starts_with("digits@2 (digits v2): "))
      << model.status().message();
}

TEST_F(ModelLoaderTest, AMaterialisedCopyThatDoesNotLoadIsCheckedOutAgain) {
  ASSERT_TRUE(loader_->Load("digits").ok());
  const fs::path served = loader_->ServingPath(md5_);
  // A file deleted from the copy: checked out again from the cache.
  ASSERT_TRUE(fs::remove(served / "model.json"));
  auto reloaded = loader_->Load("digits");
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().message();
  EXPECT_TRUE(fs::exists(served / "model.json"));

  // Checked out from a corrupt cache object: refused and not kept, so the
  // next Load takes the repaired object. (Objects are replaced, never
  // written in place: the copy may be a hardlink.)
  fs::remove_all(served);
  auto tree = objects_.LoadTree(md5_);
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  fs::path object;
  for (const TreeEntry& entry : tree->entries) {
    if (entry.relpath == "model.json")
      object = objects_.ObjectPath(entry.md5);
  }
  const std::string good = conveyor::testing::ReadFile(object);
  ASSERT_TRUE(fs::remove(object));
  conveyor::testing::WriteFile(object, "{not json");
  auto corrupt = loader_->Load("digits");
  ASSERT_FALSE(corrupt.ok());
  EXPECT_NE(corrupt.status().message().find("model.json"), std::string::npos)
      << corrupt.status().message();
  EXPECT_FALSE(fs::exists(served));
  ASSERT_TRUE(fs::remove(object));
  conveyor::testing::WriteFile(object, good);
  auto repaired = loader_->Load("digits");
  ASSERT_TRUE(repaired.ok()) << repaired.status().message();
}

// A cache object changed in a way the model still loads from (here one
// byte of model.json) would be served silently: it is refused, naming the
// file and the object, and a materialised copy changed the same way is
// replaced from the cache.
TEST_F(ModelLoaderTest, ACacheObjectThatStillLoadsButDiffersIsRefused) {
  auto tree = objects_.LoadTree(md5_);
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  std::string model_json_md5;
  for (const TreeEntry& entry : tree->entries) {
    if (entry.relpath == "model.json")
      model_json_md5 = entry.md5;
  }
  const fs::path object = objects_.ObjectPath(model_json_md5);
  const std::string good = conveyor::testing::ReadFile(object);
  ASSERT_TRUE(fs::remove(object));
  conveyor::testing::WriteFile(object, good + " ");  // still valid JSON
  auto corrupt = loader_->Load("digits");
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.status().code(), Code::kInvalid);
  EXPECT_EQ(corrupt.status().message(),
            fmt::format("digits (digits v1): model.json: the cache object {} is corrupt (its "
                        "content hashes to {}); delete it, then pull or add the model again",
                        object.string(), Md5Hex(good + " ")));
  EXPECT_FALSE(fs::exists(loader_->ServingPath(md5_)));

  ASSERT_TRUE(fs::remove(object));
  conveyor::testing::WriteFile(object, good);
  ASSERT_TRUE(loader_->Load("digits").ok());
  // The served copy rewritten in place (as root could): checked out again.
  const fs::path copy = loader_->ServingPath(md5_) / "model.json";
  ASSERT_TRUE(fs::remove(copy));
  conveyor::testing::WriteFile(copy, good + " ");
  auto reloaded = loader_->Load("digits");
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().message();
  EXPECT_EQ(conveyor::testing::ReadFile(copy), good);
}

TEST_F(ModelLoaderTest, CorruptSpecIsInvalid) {
  testing::WriteDigitsModel(testing::TrainDigitsModel(), dir_ / "broken");
  conveyor::testing::WriteFile(dir_ / "broken" / "model.yaml", "format_version: 99\n");
  Register(Save(dir_ / "broken"), "broken/model.yaml", "broken");
  auto model = loader_->Load("digits@2");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), Code::kInvalid);
  EXPECT_NE(model.status().message().find("model.yaml"), std::string::npos)
      << model.status().message();
}

TEST_F(ModelLoaderTest, SingleFileModelsAndForeignSpecsAreRefused) {
  Register("0123456789abcdef0123456789abcdef", "");
  auto file = loader_->Load("digits@2");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().message(),
            "digits@2 (digits v2): model is a single file; serving needs a model directory "
            "with model.yaml");
  Register(md5_, "elsewhere/model.yaml");
  auto foreign = loader_->Load("digits@3");
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.status().message(),
            "digits@3 (digits v3): spec elsewhere/model.yaml is outside the model directory "
            "model");
}

}  // namespace
}  // namespace conveyor::serving
