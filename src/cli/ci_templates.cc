// The CI pipeline templates `conveyor init --ci` writes. They are
// examples/digits/.gitlab-ci.yml and examples/digits/.github/workflows/conveyor.yml,
// compiled in by src/cli/CMakeLists.txt (generated/cli/ci_template_files.h),
// so the example and what `init --ci` writes cannot differ.
#include "cli/ci_templates.h"

#include "cli/ci_template_files.h"

namespace conveyor::cli {

std::optional<CiTemplate> FindCiTemplate(std::string_view system) {
  if (system == "gitlab")
    return CiTemplate{".gitlab-ci.yml", kGitLabCiFile};
  if (system == "github")
    return CiTemplate{".github/workflows/conveyor.yml", kGitHubWorkflowFile};
  return std::nullopt;
}

}  // namespace conveyor::cli
