// The Open Inference Protocol's infer request reader (POST
// /v2/models/{name}/infer) against a served model whose classifier answers
// uniform probabilities, so the run measures the request path, not a model.
// Input: the request body.
#include <memory>

#include "fuzz/digits_spec.h"
#include "fuzz/fuzz_target.h"
#include "serving/kserve_v2.h"
#include "serving/model_loader.h"
#include "serving/served_model.h"

namespace conveyor::fuzz {
namespace {

class UniformClassifier : public ml::Classifier {
 public:
  Result<std::vector<float>> PredictProba(const ml::DenseMatrix& features) const override {
    return std::vector<float>(features.rows * 10, 0.1F);
  }
  int num_classes() const override { return 10; }
};

class UniformLoader : public serving::ModelLoader {
 public:
  Result<std::unique_ptr<serving::ServedModel>> Load(std::string_view ref) override {
    serving::ModelIdentity identity{.name = "digits", .version = 1, .reference = std::string(ref)};
    return serving::ServedModel::Create(identity, DigitsSpec(),
                                        std::make_unique<UniformClassifier>());
  }
};

struct Service {
  UniformLoader loader;
  serving::ModelManager manager{loader};
  serving::KserveV2 v2{manager, "fuzz", serving::InputLimits{.max_rows = 64}};
  Service() {
    if (!manager.Replace("digits@1").ok()) {
      std::abort();
    }
  }
};

}  // namespace
}  // namespace conveyor::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace conveyor;
  static fuzz::Service* service = new fuzz::Service();  // lives for the process
  serving::HttpRequest request;
  request.method = "POST";
  request.path = "/v2/models/digits/infer";
  request.path_params["name"] = "digits";
  request.headers["content-type"] = "application/json";
  request.body = std::string(fuzz::AsText(data, size));
  serving::HttpResponse response = service->v2.Infer(request);
  if (response.status != 200 && response.status != 400) {
    __builtin_trap();  // a body can only be answered or refused
  }
  return 0;
}
