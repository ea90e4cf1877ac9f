// dvc.yaml with its params: stage definitions, `vars`, `${}` interpolation,
// foreach and matrix expansion. Input: dvc.yaml, then optionally a NUL byte
// and params.yaml (otherwise a fixed params.yaml is used).
#include <optional>
#include <string>

#include "fuzz/fuzz_target.h"
#include "pipeline/dvc_yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace conveyor;
  const std::string_view input = fuzz::AsText(data, size);
  const size_t split = input.find('\0');
  const std::string dvc_yaml(input.substr(0, split));
  const std::string params =
      split == std::string_view::npos
          ? std::string("train:\n  depth: 3\n  rate: 0.3\nsizes: [1, 2]\nmodels:\n  a: {x: 1}\n")
          : std::string(input.substr(split + 1));
  FileReader read = [&](const std::string& path) -> Result<std::optional<std::string>> {
    if (path == "dvc.yaml") {
      return std::optional<std::string>(dvc_yaml);
    }
    if (path == "params.yaml") {
      return std::optional<std::string>(params);
    }
    return std::optional<std::string>();  // any other file: absent
  };
  (void)LoadDvcYaml(read, "dvc.yaml");
  return 0;
}
