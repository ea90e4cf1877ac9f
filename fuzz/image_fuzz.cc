// The image input path: format sniffing, the PNG, JPEG, BMP and netpbm
// decoders, then resize, deskew and scaling to the digits spec's features.
// Input: the encoded image.
#include "fuzz/digits_spec.h"
#include "fuzz/fuzz_target.h"
#include "serving/model_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace conveyor;
  const serving::InputLimits limits{.max_width = 512, .max_height = 512, .max_rows = 1};
  serving::InputResult input =
      serving::DecodeImageInput(fuzz::DigitsSpec(), fuzz::AsText(data, size), limits);
  if (input.ok() && (input.value().rows != 1 || input.value().cols != 400 ||
                     input.value().values.size() != 400)) {
    __builtin_trap();
  }
  return 0;
}
