// The multipart/form-data parser and the header-value parser behind it.
// Input: a Content-Type line, '\n', then the body.
#include "fuzz/fuzz_target.h"
#include "serving/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace conveyor;
  auto [content_type, body] = fuzz::FirstLine(fuzz::AsText(data, size));
  (void)serving::ParseHeaderValue(content_type);
  (void)serving::MultipartBoundary(content_type);
  auto parts = serving::ParseMultipart(content_type, body);
  if (parts.ok()) {
    for (const serving::MultipartPart& part : *parts) {
      // Every part must lie inside the body it was parsed from.
      if (!part.body.empty() && (part.body.data() < body.data() ||
                                 part.body.data() + part.body.size() > body.data() + body.size())) {
        __builtin_trap();
      }
    }
  }
  return 0;
}
