#include "pipeline/file_reader.h"

#include <system_error>
#include <utility>

#include "common/file_util.h"

namespace conveyor {

FileReader DiskFileReader(std::filesystem::path project_root) {
  return [root = std::move(project_root)](
             const std::string& path) -> Result<std::optional<std::string>> {
    const std::filesystem::path full = root / path;
    std::error_code ec;
    if (!std::filesystem::exists(full, ec))
      return std::optional<std::string>();
    if (std::filesystem::is_directory(full, ec))
      return Error(Code::kInvalid, "'{}' is a directory", path);
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(full));
    return std::optional<std::string>(std::move(text));
  };
}

}  // namespace conveyor
