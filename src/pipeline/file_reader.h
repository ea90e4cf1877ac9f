// Reading a project's files by project-relative path, so that the pipeline
// loaders (dvc.yaml, params and vars files, .dvc files) can read the files on
// disk or the files of a Git commit alike.
//
// A FileReader takes a normalised, '/'-separated project-relative path
// ("params.yaml", "sub/dvc.yaml") and returns the file's contents,
// std::nullopt when there is no such file, or an error when the file exists
// but cannot be read (kInvalid "'<path>' is a directory", kIo, ...).
//
// Thread safety: DiskFileReader's reader holds only its root and may be
// called from several threads.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "common/status.h"

namespace conveyor {

using FileReader = std::function<Result<std::optional<std::string>>(const std::string& path)>;

// Reads files under `project_root`.
FileReader DiskFileReader(std::filesystem::path project_root);

}  // namespace conveyor
