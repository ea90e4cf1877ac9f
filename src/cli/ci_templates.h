// CI pipeline templates for `conveyor init --ci gitlab|github`: lint ->
// pipeline -> report on merge/pull requests; publish, image build and deploy
// on the default branch (docs/ci.md, "Pipeline templates").
#pragma once

#include <optional>
#include <string_view>

namespace conveyor::cli {

struct CiTemplate {
  std::string_view path;      // relative to the project root
  std::string_view contents;  // static storage
};

// The template for `system` ("gitlab" or "github"); nullopt for any other.
std::optional<CiTemplate> FindCiTemplate(std::string_view system);

}  // namespace conveyor::cli
