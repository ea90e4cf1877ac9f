// /predict's body decoding for every content type it takes (JSON features
// or base64 images, CSV rows, multipart uploads, raw images), for the digits
// spec. Input: a Content-Type line, '\n', then the body.
#include "fuzz/digits_spec.h"
#include "fuzz/fuzz_target.h"
#include "serving/model_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace conveyor;
  auto [content_type, body] = fuzz::FirstLine(fuzz::AsText(data, size));
  // Small enough that a hostile header cannot make one run take seconds.
  const serving::InputLimits limits{.max_width = 512, .max_height = 512, .max_rows = 64};
  serving::InputResult input =
      serving::DecodeModelInput(fuzz::DigitsSpec(), content_type, body, limits);
  if (input.ok() && input.value().values.size() != input.value().rows * input.value().cols) {
    __builtin_trap();
  }
  return 0;
}
