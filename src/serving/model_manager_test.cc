#include "serving/model_manager.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace conveyor::serving {
namespace {

// Records, per model id, the thread that destroyed its classifier.
struct Deaths {
  std::mutex mu;
  std::map<int, std::thread::id> by_id;  // guarded by mu
};

// A 2-class classifier that answers class `id % 2` with certainty once it is
// "fully loaded"; a half-made one would answer garbage.
class FakeClassifier : public ml::Classifier {
 public:
  FakeClassifier(int id, Deaths& deaths) : id_(id), deaths_(deaths) {}
  ~FakeClassifier() override {
    const std::lock_guard<std::mutex> lock(deaths_.mu);
    deaths_.by_id[id_] = std::this_thread::get_id();
    loaded_ = false;
  }
  Result<std::vector<float>> PredictProba(const ml::DenseMatrix& features) const override {
    if (!loaded_) {
      return Error(Code::kInternal, "model {} used after destruction", id_);
    }
    std::vector<float> out;
    for (size_t r = 0; r < features.rows; ++r) {
      out.push_back(id_ % 2 == 0 ? 1.0F : 0.0F);
      out.push_back(id_ % 2 == 0 ? 0.0F : 1.0F);
    }
    return out;
  }
  int num_classes() const override { return 2; }

 private:
  int id_;
  Deaths& deaths_;
  std::atomic<bool> loaded_{true};
};

// Serves "m<id>" references; "fail<id>" fails to load, "wrong<id>" loads a
// model whose sample check fails. Records the order of loads and whether two
// ever overlapped.
class FakeLoader : public ModelLoader {
 public:
  explicit FakeLoader(Deaths& deaths) : deaths_(deaths) {}

  Result<std::unique_ptr<ServedModel>> Load(std::string_view ref) override {
    if (active_.fetch_add(1) != 0) {
      overlapped_ = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    auto result = Make(ref);
    active_.fetch_sub(1);
    {
      const std::lock_guard<std::mutex> lock(mu_);
      loads_.emplace_back(ref);
    }
    return result;
  }

  bool overlapped() const { return overlapped_; }
  std::vector<std::string> loads() {
    const std::lock_guard<std::mutex> lock(mu_);
    return loads_;
  }

 private:
  Result<std::unique_ptr<ServedModel>> Make(std::string_view ref) {
    if (ref.starts_with("fail")) {
      return Error(Code::kNotFound, "no model '{}'", ref);
    }
    const bool wrong = ref.starts_with("wrong");
    const int id = std::stoi(std::string(ref.substr(wrong ? 5 : 1)));
    ml::ModelSpec spec;
    spec.name = "fake";
    spec.input = {.rows = 1, .cols = 2, .scale = 1.0, .deskew = false};
    spec.labels = {"even", "odd"};
    spec.sample_input = {.pixels = {0, 0}, .expected_label = id % 2 == 0 ? "even" : "odd"};
    if (wrong) {
      spec.sample_input.expected_label = id % 2 == 0 ? "odd" : "even";
    }
    return ServedModel::Create({.name = "fake", .version = id, .reference = std::string(ref)}, spec,
                               std::make_unique<FakeClassifier>(id, deaths_));
  }

  Deaths& deaths_;
  std::atomic<int> active_{0};
  std::atomic<bool> overlapped_{false};
  std::mutex mu_;
  std::vector<std::string> loads_;  // guarded by mu_
};

class ModelManagerTest : public ::testing::Test {
 protected:
  Deaths deaths_;
  FakeLoader loader_{deaths_};
};

TEST_F(ModelManagerTest, StartsEmptyAndPublishesAfterCheck) {
  ModelManager manager(loader_);
  EXPECT_EQ(manager.state(), ModelManager::State::kEmpty);
  EXPECT_FALSE(manager.ready());
  EXPECT_EQ(manager.Current(), nullptr);

  auto report = manager.Replace("m2");
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_TRUE(report->old_model.name.empty());
  EXPECT_EQ(report->new_model.version, 2);
  EXPECT_TRUE(manager.ready());
  EXPECT_EQ(ModelStateName(manager.state()), "ready");
  ASSERT_NE(manager.Current(), nullptr);
  EXPECT_EQ(manager.Current()->identity().version, 2);

  auto second = manager.Replace("m3");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->old_model.version, 2);
  EXPECT_EQ(second->new_model.version, 3);
  EXPECT_EQ(manager.Current()->identity().version, 3);
}

TEST_F(ModelManagerTest, FailedLoadOrCheckKeepsTheOldModel) {
  ModelManager manager(loader_);
  auto first = manager.Replace("fail1");
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().message(), "load: no model 'fail1'");
  EXPECT_EQ(manager.state(), ModelManager::State::kEmpty);

  ASSERT_TRUE(manager.Replace("m4").ok());
  auto failed = manager.Replace("fail5");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(manager.state(), ModelManager::State::kReady);
  EXPECT_EQ(manager.Current()->identity().version, 4);

  auto wrong = manager.Replace("wrong6");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(),
            "check: fake v6: sample input predicted 'even', model.yaml expects 'odd'");
  EXPECT_EQ(manager.Current()->identity().version, 4);
  // The rejected candidate was destroyed, on the reaper thread.
  manager.DrainReaper();
  const std::lock_guard<std::mutex> lock(deaths_.mu);
  ASSERT_EQ(deaths_.by_id.count(6), 1U);
  EXPECT_EQ(deaths_.by_id[6], manager.reaper_thread_id());
}

TEST_F(ModelManagerTest, OldModelsDieOnTheReaperThreadEvenIfARequestHoldsThemLast) {
  ModelManager manager(loader_);
  ASSERT_TRUE(manager.Replace("m1").ok());
  std::shared_ptr<const ServedModel> held = manager.Current();
  ASSERT_TRUE(manager.Replace("m2").ok());
  {
    const std::lock_guard<std::mutex> lock(deaths_.mu);
    EXPECT_EQ(deaths_.by_id.count(1), 0U);  // still in use by the "request"
  }
  std::thread request([&] { held.reset(); });  // the last holder is a request thread
  request.join();
  manager.DrainReaper();
  const std::lock_guard<std::mutex> lock(deaths_.mu);
  ASSERT_EQ(deaths_.by_id.count(1), 1U);
  EXPECT_EQ(deaths_.by_id[1], manager.reaper_thread_id());
  EXPECT_NE(deaths_.by_id[1], std::this_thread::get_id());
}

TEST_F(ModelManagerTest, ReadersNeverFailWhileModelsAreReplaced) {
  ModelManager manager(loader_);
  ASSERT_TRUE(manager.Replace("m0").ok());
  std::atomic<bool> stop{false};
  std::atomic<int64_t> predictions{0};
  std::atomic<int64_t> failures{0};
  std::vector<std::thread> readers;
  readers.reserve(8);
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&] {
      const std::vector<float> row = {0, 0};
      for (int i = 0; i < 200000 && !stop.load(); ++i) {
        std::shared_ptr<const ServedModel> model = manager.Current();
        auto p = model->Predict(row);
        // A fully loaded model answers its own parity with certainty.
        const bool right = p.ok() && p->class_index == model->identity().version % 2 &&
                           p->probabilities[static_cast<size_t>(p->class_index)] == 1.0F;
        (right ? predictions : failures).fetch_add(1);
      }
    });
  }
  for (int i = 1; i <= 20; ++i) {
    auto report = manager.Replace(fmt::format("m{}", i));
    ASSERT_TRUE(report.ok()) << report.status().message();
    EXPECT_EQ(report->old_model.version, i - 1);
  }
  stop = true;
  for (std::thread& t : readers) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(predictions.load(), 0);
  EXPECT_EQ(manager.Current()->identity().version, 20);
  manager.DrainReaper();
  const std::lock_guard<std::mutex> lock(deaths_.mu);
  EXPECT_EQ(deaths_.by_id.size(), 20U);  // m0..m19
  for (const auto& [id, thread] : deaths_.by_id) {
    EXPECT_EQ(thread, manager.reaper_thread_id()) << "model " << id;
  }
}

TEST_F(ModelManagerTest, ConcurrentReplacesAreSerialised) {
  ModelManager manager(loader_);
  std::vector<std::thread> admins;
  admins.reserve(6);
  std::atomic<int> ok{0};
  for (int t = 0; t < 6; ++t) {
    admins.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        if (manager.Replace(fmt::format("m{}", t * 10 + i)).ok()) {
          ok.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : admins) {
    t.join();
  }
  EXPECT_EQ(ok.load(), 18);
  EXPECT_FALSE(loader_.overlapped());
  EXPECT_EQ(loader_.loads().size(), 18U);
  EXPECT_TRUE(manager.ready());
}

TEST_F(ModelManagerTest, DestroyingTheManagerReleasesTheModel) {
  std::thread::id reaper;
  {
    ModelManager manager(loader_);
    ASSERT_TRUE(manager.Replace("m8").ok());
    reaper = manager.reaper_thread_id();
  }
  const std::lock_guard<std::mutex> lock(deaths_.mu);
  ASSERT_EQ(deaths_.by_id.count(8), 1U);
  EXPECT_EQ(deaths_.by_id[8], reaper);
}

}  // namespace
}  // namespace conveyor::serving
