// model.yaml: the spec reader and its validation. Input: the file.
#include "fuzz/fuzz_target.h"
#include "ml/model_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace conveyor;
  auto spec = ml::ParseModelSpec(fuzz::AsText(data, size), "model.yaml");
  if (spec.ok()) {
    // What we accept, we can write and read back.
    auto again = ml::ParseModelSpec(ml::EmitModelSpec(*spec), "model.yaml");
    if (!again.ok()) {
      __builtin_trap();
    }
  }
  return 0;
}
