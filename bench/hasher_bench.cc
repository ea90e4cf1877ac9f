// Times Hasher on a directory of many small files: cold (nothing cached),
// warm (stat cache hit, with and without the Tree), and after one file
// changed. Usage: cache_bench [nfiles=100000] [work_dir=$TMPDIR]
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "cache/hasher.h"
#include "cache/stat_cache.h"

namespace {

namespace fs = std::filesystem;

int Run(int argc, char** argv) {
  size_t nfiles = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  const char* tmp = std::getenv("TMPDIR");
  fs::path base = argc > 2 ? fs::path(argv[2]) : fs::path(tmp != nullptr ? tmp : "/tmp");
  fs::path root = base / ("conveyor-bench-" + std::to_string(::getpid()));
  fs::path data = root / "data";
  timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
  for (size_t i = 0; i < nfiles; ++i) {
    fs::path dir = data / ("d" + std::to_string(i % 100));
    if (i < 100)
      fs::create_directories(dir);
    fs::path file = dir / ("f" + std::to_string(i) + ".txt");
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::string content = "content of file " + std::to_string(i) + "\n";
    if (fd < 0 || ::write(fd, content.data(), content.size()) < 0)
      return 1;
    ::futimens(fd, old);
    ::close(fd);
  }
  auto cache = conveyor::StatCache::Open(root / "stat-cache.db");
  if (!cache.ok()) {
    std::fprintf(stderr, "%s\n", cache.status().ToString().c_str());
    return 1;
  }
  auto time = [&](const char* label, bool want_tree) {
    conveyor::Hasher hasher(cache->get(), nullptr);
    auto start = std::chrono::steady_clock::now();
    auto hashed = hasher.Hash(data, want_tree);
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-28s %9.1f ms  %s\n", label, ms,
                hashed.ok() ? hashed->hash.md5.c_str() : hashed.status().ToString().c_str());
  };
  std::printf("%zu files under %s\n", nfiles, data.c_str());
  time("cold (hash everything)", true);
  time("warm, HashInfo only", false);
  time("warm, with Tree", true);
  fs::path changed = data / "d7" / "f7.txt";
  {
    int fd = ::open(changed.c_str(), O_WRONLY | O_TRUNC);
    if (fd < 0 || ::write(fd, "new\n", 4) < 0)
      return 1;
    timespec other[2] = {{1000000001, 0}, {1000000001, 0}};
    ::futimens(fd, other);
    ::close(fd);
  }
  time("one file changed", true);
  time("warm again", false);
  fs::remove_all(root);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
