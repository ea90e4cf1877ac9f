// LocalStorage (local_storage.h): copies through a temporary name and a rename.
// Thread safety: see the header; no shared mutable state.
#include "remote/local_storage.h"

#include <fmt/core.h>

#include <system_error>

#include "common/file_util.h"

namespace conveyor {

namespace fs = std::filesystem;

namespace {

// Copies `source` to a temporary name beside `dest`, then renames it into
// place; the temporary file is removed on any failure.
Status CopyThenRename(const fs::path& source, const fs::path& dest, std::string_view what) {
  fs::path tmp = TempPathBeside(dest);
  std::error_code ec;
  fs::copy_file(source, tmp, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    Code code = ec == std::errc::no_such_file_or_directory ? Code::kNotFound : Code::kIo;
    return Error(code, "{}: cannot copy to {}: {}", what, dest.string(), ec.message());
  }
  fs::rename(tmp, dest, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return Error(Code::kIo, "{}: cannot rename into {}: {}", what, dest.string(), ec.message());
  }
  return OkStatus();
}

}  // namespace

LocalStorage::LocalStorage(fs::path root, std::string display)
    : root_(std::move(root)), display_(display.empty() ? root_.string() : std::move(display)) {}

Status LocalStorage::CheckRoot() const {
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) {
    return Error(Code::kNotFound, "remote folder {} does not exist", root_.string());
  }
  return OkStatus();
}

Result<std::vector<RemoteObject>> LocalStorage::List(std::string_view prefix) {
  std::vector<RemoteObject> objects;
  // Walk from the deepest directory the prefix names completely.
  std::string_view dir =
      prefix.substr(0, prefix.rfind('/') == std::string_view::npos ? 0 : prefix.rfind('/') + 1);
  fs::path start = root_ / fs::path(std::string(dir));
  std::error_code ec;
  if (!fs::is_directory(start, ec))
    return objects;
  fs::recursive_directory_iterator it(start, ec), end;
  if (ec)
    return Error(Code::kIo, "{}: cannot list {}: {}", display_, start.string(), ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec)
      return Error(Code::kIo, "{}: cannot list {}: {}", display_, start.string(), ec.message());
    if (!it->is_regular_file(ec))
      continue;
    std::string name = it->path().filename().string();
    if (!name.empty() && name.front() == '.')
      continue;  // a transfer in progress
    std::string key = it->path().lexically_relative(root_).generic_string();
    if (key.compare(0, prefix.size(), prefix) != 0)
      continue;
    uintmax_t size = it->file_size(ec);
    objects.push_back({std::move(key), ec ? 0 : static_cast<uint64_t>(size)});
  }
  return objects;
}

Result<bool> LocalStorage::Exists(std::string_view key) {
  RETURN_IF_ERROR(CheckRoot());
  std::error_code ec;
  return fs::is_regular_file(root_ / fs::path(std::string(key)), ec);
}

Status LocalStorage::Download(std::string_view key, const fs::path& dest,
                              const ByteProgress& progress) {
  RETURN_IF_ERROR(CheckRoot());
  fs::path source = root_ / fs::path(std::string(key));
  std::error_code ec;
  if (!fs::is_regular_file(source, ec)) {
    return Error(Code::kNotFound, "{}: no object {}", display_, key);
  }
  RETURN_IF_ERROR(CopyThenRename(source, dest, fmt::format("{}/{}", display_, key)));
  if (progress) {
    uintmax_t size = fs::file_size(dest, ec);
    progress(ec ? 0 : static_cast<uint64_t>(size));
  }
  return OkStatus();
}

Status LocalStorage::Upload(const fs::path& source, std::string_view key,
                            const ByteProgress& progress) {
  fs::path dest = root_ / fs::path(std::string(key));
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  if (ec) {
    return Error(Code::kIo, "{}: cannot create {}: {}", display_, dest.parent_path().string(),
                 ec.message());
  }
  RETURN_IF_ERROR(CopyThenRename(source, dest, fmt::format("{}/{}", display_, key)));
  if (progress) {
    uintmax_t size = fs::file_size(dest, ec);
    progress(ec ? 0 : static_cast<uint64_t>(size));
  }
  return OkStatus();
}

}  // namespace conveyor
