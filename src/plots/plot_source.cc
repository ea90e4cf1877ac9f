#include "plots/plot_source.h"

#include <fmt/core.h>

#include <algorithm>
#include <system_error>

#include "common/file_util.h"

namespace conveyor {

namespace fs = std::filesystem;

PlotSource WorkspacePlotSource(const fs::path& project_root) {
  PlotSource source;
  source.read = [root =
                     project_root](const std::string& path) -> Result<std::optional<std::string>> {
    std::error_code ec;
    fs::path full = root / path;
    if (!fs::exists(full, ec))
      return std::optional<std::string>();
    if (fs::is_directory(full, ec))
      return Error(Code::kInvalid, "{}: is a directory, expected a file", path);
    ASSIGN_OR_RETURN(std::string content, ReadFileToString(full));
    return std::optional<std::string>(std::move(content));
  };
  source.list_dir =
      [root = project_root](const std::string& path) -> std::optional<std::vector<std::string>> {
    std::error_code ec;
    fs::path dir = root / path;
    if (!fs::is_directory(dir, ec))
      return std::nullopt;
    std::vector<std::string> files;
    fs::recursive_directory_iterator it(dir, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      if (it->path().filename().string().starts_with(".")) {
        if (it->is_directory(ec))
          it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec)) {
        std::string relative = fs::relative(it->path(), dir, ec).generic_string();
        files.push_back(path == "." ? relative : fmt::format("{}/{}", path, relative));
      }
    }
    std::sort(files.begin(), files.end());
    return files;
  };
  return source;
}

}  // namespace conveyor
