// Where plot files are read from: the workspace for `plots show`, a Git
// revision for `plots diff`. A narrow seam so the plots code never touches
// the filesystem itself and tests can hand it a map of files.
//
// Thread safety: the workspace source is stateless; call it from any thread.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace conveyor {

struct PlotSource {
  // How this revision is labelled in legends and captions: "workspace",
  // "HEAD", "main", a short commit.
  std::string revision = "workspace";
  // Reads a project-relative file: its bytes, nullopt when it does not exist
  // (in this revision), an error when it exists but cannot be read. The same
  // type as pipeline's FileReader, so a revision's reader plugs in.
  std::function<Result<std::optional<std::string>>(const std::string& project_relative_path)> read;
  // The files below a project-relative directory, project-relative, sorted,
  // recursively; nullopt when `path` is not a directory (a file, or absent).
  // May be left empty: every plot path is then taken to be a file.
  std::function<std::optional<std::vector<std::string>>(const std::string& project_relative_path)>
      list_dir;
};

// Reads the working tree under `project_root`. Directory listings skip
// hidden entries (".git", ".dvc", dotfiles).
PlotSource WorkspacePlotSource(const std::filesystem::path& project_root);

}  // namespace conveyor
