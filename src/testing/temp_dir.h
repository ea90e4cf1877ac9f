// Test helpers: a private temporary directory and whole-file read/write.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace conveyor::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it
// when the object is destroyed. Not thread-safe; one per test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // path() / relative.
  std::filesystem::path operator/(std::string_view relative) const { return path_ / relative; }

 private:
  std::filesystem::path path_;
};

// Writes `contents` to `path`, creating parent directories. Aborts the test
// binary on failure (test set-up is not the thing under test).
void WriteFile(const std::filesystem::path& path, std::string_view contents);

// Returns the whole contents of `path`, or "<missing>" if it cannot be read.
std::string ReadFile(const std::filesystem::path& path);

}  // namespace conveyor::testing
