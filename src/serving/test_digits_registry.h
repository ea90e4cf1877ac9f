// Test fixture (header-only, for serving_test): a project whose SQLite
// registry says experiment "aaa1111" produced digits v1 (the model of
// test_digits_model.h, saved in the project's cache), a RegistryModelLoader
// and ModelManager over it, and a ModelService with its own store for the
// metas endpoint. Handler tests derive from it and add what they route.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cache/hasher.h"
#include "cache/object_store.h"
#include "ml/gray_image.h"
#include "registry/sqlite_store.h"
#include "serving/model_loader.h"
#include "serving/model_manager.h"
#include "serving/model_service.h"
#include "serving/test_digits_model.h"
#include "testing/temp_dir.h"

namespace conveyor::serving::testing {

class DigitsRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DigitsModel digits = TrainDigitsModel();
    ASSERT_FALSE(HasFatalFailure());
    sample_ = digits.spec.sample_input;
    WriteDigitsModel(digits, dir_ / "model");
    Hasher hasher(nullptr, nullptr, {.threads = 1});
    auto hashed = hasher.Hash(dir_ / "model");
    ASSERT_TRUE(hashed.ok()) << hashed.status().message();
    ASSERT_TRUE(objects_.Save(dir_ / "model", hashed->hash, &*hashed->tree).ok());
    for (auto* store : {&loader_store_, &metas_store_}) {
      auto opened = OpenSqliteStore(dir_ / "registry.db");
      ASSERT_TRUE(opened.ok()) << opened.status().message();
      *store = std::move(*opened);
    }
    ExperimentRecord record;
    record.tag = "aaa1111";
    record.params["params.yaml"]["train.max_depth"] = 3;
    record.metrics["metrics.json"]["accuracy"] = 0.94;
    record.lineage.push_back(
        {.stage = "train", .role = "out", .path = "model", .md5 = hashed->hash.md5});
    ASSERT_TRUE(loader_store_
                    ->AddExperiment(record, {{.model = "digits",
                                              .path = "model",
                                              .md5 = hashed->hash.md5,
                                              .spec_path = "model/model.yaml"}})
                    .ok());
    loader_ = std::make_unique<RegistryModelLoader>(*loader_store_, objects_, dir_ / "serving");
    manager_ = std::make_unique<ModelManager>(*loader_);
    service_ = std::make_unique<ModelService>(*manager_, *metas_store_, "digits");
  }

  // The spec's sample input as a PNG in a multipart/form-data body with the
  // boundary "XyZ" and one part named "file".
  std::string PngForm() const {
    ml::GrayImage image = ml::MakeGrayImage(20, 20);
    for (size_t i = 0; i < image.pixels.size(); ++i)
      image.pixels[i] = static_cast<uint8_t>(sample_.pixels[i]);
    return "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.png\"\r\n"
           "Content-Type: image/png\r\n\r\n" +
           *ml::EncodePng(image) + "\r\n--XyZ--\r\n";
  }

  conveyor::testing::TempDir dir_;
  ObjectStore objects_{dir_ / "cache"};
  ml::SampleInput sample_;
  std::unique_ptr<RegistryStore> loader_store_;
  std::unique_ptr<RegistryStore> metas_store_;
  std::unique_ptr<RegistryModelLoader> loader_;
  std::unique_ptr<ModelManager> manager_;
  std::unique_ptr<ModelService> service_;
};

}  // namespace conveyor::serving::testing
