#include "registry/model_ref.h"

#include <gtest/gtest.h>

#include "registry/sqlite_store.h"
#include "testing/temp_dir.h"

namespace conveyor {
namespace {

// True when `text` contains `part`; shows both otherwise.
::testing::AssertionResult Contains(std::string_view text, std::string_view part) {
  if (text.find(part) != std::string_view::npos)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

TEST(ModelRefTest, ParsesEveryForm) {
  struct Case {
    std::string text;
    ModelRef::Kind kind;
    int version;
    std::string selector;
    std::string canonical;
  };
  for (const Case& c : std::vector<Case>{
           {"clf", ModelRef::Kind::kLatest, 0, "", "clf"},
           {"clf@latest", ModelRef::Kind::kLatest, 0, "", "clf"},
           {"clf@12", ModelRef::Kind::kVersion, 12, "12", "clf@12"},
           {"clf@production", ModelRef::Kind::kName, 0, "production", "clf@production"},
           {"my.model-v2_x@a1b2c3d.2", ModelRef::Kind::kName, 0, "a1b2c3d.2",
            "my.model-v2_x@a1b2c3d.2"},
       }) {
    Result<ModelRef> ref = ParseModelRef(c.text);
    ASSERT_TRUE(ref.ok()) << c.text << ": " << ref.status().ToString();
    EXPECT_EQ(ref->kind, c.kind) << c.text;
    EXPECT_EQ(ref->version, c.version) << c.text;
    EXPECT_EQ(ref->selector, c.selector) << c.text;
    EXPECT_EQ(ref->ToString(), c.canonical);
  }
}

TEST(ModelRefTest, RejectsMalformedReferences) {
  for (const std::string& text : std::vector<std::string>{
           "", "@1", "clf@", "clf@0", "clf@1234567890", "clf@a@b", "bad name@1", "clf@has space"}) {
    Result<ModelRef> ref = ParseModelRef(text);
    EXPECT_EQ(ref.status().code(), Code::kInvalid) << text;
    EXPECT_TRUE(Contains(ref.status().message(), "model reference '" + text + "'")) << text;
  }
  EXPECT_EQ(ParseModelRef("clf@").status().message(),
            "model reference 'clf@': nothing after '@' (expected a version number, 'latest', an "
            "alias or an experiment tag)");
  EXPECT_EQ(ParseModelRef("clf@0").status().message(),
            "model reference 'clf@0': versions are numbered from 1");
}

// classifier: v1 from experiment a1b2c3d, v2 from "baseline", v3 registered
// by hand; production -> 2, staging -> 1. encoder: v1 from "enc-run".
class ModelRefResolveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<RegistryStore>> store = OpenSqliteStore(dir_ / "registry.db");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    Add("a1b2c3d", false, "a1b2c3d4000000000000000000000000000000aa", "classifier");
    Add("baseline", true, "a1b2ffff00000000000000000000000000000000", "classifier");
    Add("enc-run", false, "cccc000000000000000000000000000000000000", "encoder");
    ASSERT_TRUE(store_->RegisterModelVersion({.model = "classifier", .md5 = "v3"}).ok());
    ASSERT_TRUE(store_->SetAlias("classifier", "production", 2, "alice", "").ok());
    ASSERT_TRUE(store_->SetAlias("classifier", "staging", 1, "alice", "").ok());
  }

  void Add(std::string tag, bool named, std::string commit, std::string model) {
    ExperimentRecord record;
    record.tag = std::move(tag);
    record.named = named;
    record.commit = std::move(commit);
    auto added = store_->AddExperiment(record, {{.model = std::move(model), .md5 = record.tag}});
    ASSERT_TRUE(added.ok()) << added.status().ToString();
  }

  // "model@version", or the error's message.
  std::string Resolve(std::string_view text) {
    Result<ModelVersion> version = ResolveModelRef(*store_, text);
    if (!version.ok())
      return fmt::format("{}: {}", CodeName(version.status().code()), version.status().message());
    return fmt::format("{}@{}", version->model, version->version);
  }

  testing::TempDir dir_;
  std::unique_ptr<RegistryStore> store_;
};

TEST_F(ModelRefResolveTest, ResolvesEachForm) {
  EXPECT_EQ(Resolve("classifier"), "classifier@3");
  EXPECT_EQ(Resolve("classifier@latest"), "classifier@3");
  EXPECT_EQ(Resolve("classifier@1"), "classifier@1");
  EXPECT_EQ(Resolve("classifier@production"), "classifier@2");
  EXPECT_EQ(Resolve("classifier@staging"), "classifier@1");
  EXPECT_EQ(Resolve("classifier@baseline"), "classifier@2");  // experiment name
  EXPECT_EQ(Resolve("classifier@a1b2c3d"), "classifier@1");   // experiment tag
  EXPECT_EQ(Resolve("classifier@a1b2f"), "classifier@2");     // commit prefix
  EXPECT_EQ(Resolve("encoder"), "encoder@1");
  EXPECT_EQ(Resolve("encoder@cccc"), "encoder@1");
  Result<ModelVersion> full = ResolveModelRef(*store_, "classifier@production");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->experiment_tag, "baseline");
  EXPECT_EQ(full->aliases, std::vector<std::string>{"production"});
}

TEST_F(ModelRefResolveTest, AnAllDigitTagResolvesWhenNoSuchVersionExists) {
  // A short commit SHA can be all digits.
  Add("5925306", false, "5925306000000000000000000000000000000000", "classifier");
  EXPECT_EQ(Resolve("classifier@5925306"), "classifier@4");
  EXPECT_EQ(Resolve("classifier@2"), "classifier@2");  // a version first
  EXPECT_TRUE(Contains(Resolve("classifier@77"), "has no version 77"));
}

TEST_F(ModelRefResolveTest, AnAliasWinsOverAnExperimentTag) {
  ASSERT_TRUE(store_->SetAlias("classifier", "a1b2c3d", 3, "alice", "").ok());
  EXPECT_EQ(Resolve("classifier@a1b2c3d"), "classifier@3");
}

TEST_F(ModelRefResolveTest, ErrorsNameTheReference) {
  EXPECT_EQ(Resolve("clasifier@production"),
            "not found: model reference 'clasifier@production': no model 'clasifier' (did you "
            "mean 'classifier'?)");
  EXPECT_EQ(Resolve("classifier@9"),
            "not found: model reference 'classifier@9': model 'classifier' has no version 9 "
            "(latest is 3)");
  EXPECT_EQ(Resolve("classifier@prodution"),
            "not found: model reference 'classifier@prodution': 'prodution' is neither an alias "
            "of model 'classifier' nor an experiment tag or commit (did you mean 'production'?)");
  EXPECT_EQ(Resolve("classifier@a1b2"),
            "invalid: model reference 'classifier@a1b2' is ambiguous: 'a1b2' matches "
            "experiments a1b2c3d, baseline");
  EXPECT_EQ(Resolve("classifier@enc-run"),
            "not found: model reference 'classifier@enc-run': experiment 'enc-run' produced no "
            "version of model 'classifier'");
  EXPECT_TRUE(Contains(Resolve("classifier@"), "invalid: model reference 'classifier@'"));
}

TEST_F(ModelRefResolveTest, AnExperimentThatKeptTheModelNamesTheVersionWithItsContent) {
  // "eval-only" reran evaluation: it registered nothing, and its lineage
  // records the model output with version 1's content.
  ExperimentRecord record;
  record.tag = "eval-only";
  record.lineage = {{.stage = "train", .role = "out", .path = "model", .md5 = "a1b2c3d"},
                    {.stage = "evaluate", .role = "dep", .path = "model", .md5 = "v3"}};
  ASSERT_TRUE(store_->AddExperiment(record, {}).ok());
  ASSERT_TRUE(
      store_->RegisterModelVersion({.model = "classifier", .path = "model", .md5 = "a1b2c3d"})
          .ok());
  EXPECT_EQ(Resolve("classifier@eval-only"), "classifier@4");
  // Only outputs count, and only with the same path.
  record.tag = "dep-only";
  record.lineage = {{.stage = "evaluate", .role = "dep", .path = "model", .md5 = "a1b2c3d"}};
  ASSERT_TRUE(store_->AddExperiment(record, {}).ok());
  EXPECT_TRUE(Contains(Resolve("classifier@dep-only"), "produced no version"));
}

TEST_F(ModelRefResolveTest, ARemovedExperimentNoLongerResolves) {
  Result<std::vector<ExperimentRecord>> found = store_->FindExperiments("baseline");
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  ASSERT_TRUE(store_->RemoveExperiments({found->front().id}).ok());
  EXPECT_TRUE(Contains(Resolve("classifier@baseline"), "not found: "));
  EXPECT_EQ(Resolve("classifier@production"), "classifier@2");  // the version stays
}

// The free functions of registry_store.h.
TEST(RegistryNamesTest, ValidatesModelNamesAliasesAndTags) {
  for (const std::string& good :
       std::vector<std::string>{"clf", "0", "123", "A.b_c-d", std::string(128, 'm')})
    EXPECT_TRUE(ValidateRegistryName("model name", good).ok()) << good;
  for (const std::string& bad :
       std::vector<std::string>{"", ".x", "-x", "_x", "a b", "a@b", "a/b", std::string(129, 'm')})
    EXPECT_EQ(ValidateRegistryName("model name", bad).code(), Code::kInvalid) << bad;
  EXPECT_TRUE(ValidateRegistryName("alias", "production").ok());
  EXPECT_TRUE(ValidateRegistryName("alias", "v2").ok());
  EXPECT_EQ(ValidateRegistryName("alias", "123").message(),
            "invalid alias '123': all digits would read as a version number");
  EXPECT_EQ(ValidateRegistryName("alias", "latest").code(), Code::kInvalid);
  EXPECT_EQ(ValidateRegistryName("model name", "a b").message(),
            "invalid model name 'a b': expected 1 to 128 characters from A-Z a-z 0-9 . _ -, "
            "starting with a letter or digit");
  EXPECT_TRUE(ValidateExperimentTag("1234567").ok());
  EXPECT_TRUE(ValidateExperimentTag("a1b2c3d.2").ok());
  EXPECT_EQ(ValidateExperimentTag("").code(), Code::kInvalid);
  EXPECT_EQ(ValidateExperimentTag("x@y").code(), Code::kInvalid);
  EXPECT_EQ(ExperimentStatusName(ExperimentStatus::kSucceeded), "succeeded");
  EXPECT_EQ(ExperimentStatusName(ExperimentStatus::kFailed), "failed");
}

}  // namespace
}  // namespace conveyor
