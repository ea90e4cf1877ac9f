// make_tree: writes a deterministic tree of files for the benchmarks.
//
// Usage: make_tree [--seed N] [--per-dir N] [--mtime SECONDS] DIR GROUP...
//
// Each GROUP is NAME:COUNT:SIZE or NAME:COUNT:MIN-MAX (sizes in bytes, with
// an optional K, M or G suffix, powers of 1024). A group's COUNT files go to
// DIR/NAME/dNNNN/fNNNNNNN.bin, at most --per-dir (default 1000) files per
// subdirectory; a MIN-MAX size is drawn uniformly per file. Contents are
// pseudo-random bytes (splitmix64 seeded from --seed, default 1, and the group
// name), so the same arguments always give the same bytes. Every file's
// mtime is set to --mtime (default 1600000000, September 2020), far outside
// any racy-timestamp window, so a stat cache or git index built right after
// generation is trusted at once.
//
// Prints one line: the number of files and bytes written.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Group {
  std::string name;
  uint64_t count = 0;
  uint64_t min_size = 0;
  uint64_t max_size = 0;
};

struct Options {
  uint64_t seed = 1;
  uint64_t per_dir = 1000;
  int64_t mtime = 1600000000;
  fs::path dir;
  std::vector<Group> groups;
};

// splitmix64: tiny, fast, and good enough to make incompressible data.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi] (the modulo bias is irrelevant here).
  uint64_t Between(uint64_t lo, uint64_t hi) { return lo + Next() % (hi - lo + 1); }

 private:
  uint64_t state_;
};

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s)
    h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}

std::optional<uint64_t> ParseSize(std::string_view text) {
  if (text.empty())
    return std::nullopt;
  uint64_t scale = 1;
  switch (text.back()) {
    case 'K':
      scale = uint64_t{1} << 10;
      break;
    case 'M':
      scale = uint64_t{1} << 20;
      break;
    case 'G':
      scale = uint64_t{1} << 30;
      break;
    default:
      break;
  }
  if (scale != 1)
    text.remove_suffix(1);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  return std::strtoull(std::string(text).c_str(), nullptr, 10) * scale;
}

std::optional<Group> ParseGroup(std::string_view text) {
  size_t c1 = text.find(':');
  size_t c2 = c1 == std::string_view::npos ? c1 : text.find(':', c1 + 1);
  if (c2 == std::string_view::npos || c1 == 0)
    return std::nullopt;
  Group group;
  group.name = std::string(text.substr(0, c1));
  std::optional<uint64_t> count = ParseSize(text.substr(c1 + 1, c2 - c1 - 1));
  std::string_view sizes = text.substr(c2 + 1);
  size_t dash = sizes.find('-');
  std::optional<uint64_t> lo = ParseSize(sizes.substr(0, dash));
  std::optional<uint64_t> hi =
      dash == std::string_view::npos ? lo : ParseSize(sizes.substr(dash + 1));
  if (!count || !lo || !hi || *lo > *hi || group.name.find('/') != std::string::npos)
    return std::nullopt;
  group.count = *count;
  group.min_size = *lo;
  group.max_size = *hi;
  return group;
}

int Usage(const char* why) {
  std::fprintf(stderr,
               "make_tree: %s\n"
               "usage: make_tree [--seed N] [--per-dir N] [--mtime SECONDS] DIR "
               "NAME:COUNT:SIZE[-MAX]...\n"
               "example: make_tree /tmp/t large:3:128M small:4096:1K-8K\n",
               why);
  return 2;
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Writes `size` pseudo-random bytes to `path`, then sets its mtime.
bool WriteFile(const fs::path& path, uint64_t size, Rng& rng, int64_t mtime,
               std::vector<uint64_t>& buffer) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "make_tree: cannot create %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  uint64_t left = size;
  while (left > 0) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(left, buffer.size() * 8));
    for (size_t i = 0; i < (chunk + 7) / 8; ++i)
      buffer[i] = rng.Next();
    if (!WriteAll(fd, reinterpret_cast<const char*>(buffer.data()), chunk)) {
      std::fprintf(stderr, "make_tree: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
      ::close(fd);
      return false;
    }
    left -= chunk;
  }
  timespec times[2] = {{mtime, 0}, {mtime, 0}};
  bool ok = ::futimens(fd, times) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok)
    std::fprintf(stderr, "make_tree: cannot finish %s: %s\n", path.c_str(), std::strerror(errno));
  return ok;
}

int Run(int argc, char** argv) {
  Options options;
  std::vector<std::string_view> positional;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--seed" || arg == "--per-dir" || arg == "--mtime") {
      if (i + 1 >= argc)
        return Usage("missing value after an option");
      std::optional<uint64_t> value = ParseSize(argv[++i]);
      if (!value)
        return Usage("option values must be non-negative integers");
      if (arg == "--seed")
        options.seed = *value;
      else if (arg == "--per-dir")
        options.per_dir = *value;
      else
        options.mtime = static_cast<int64_t>(*value);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() < 2)
    return Usage("need a directory and at least one group");
  if (options.per_dir == 0)
    return Usage("--per-dir must be at least 1");
  options.dir = fs::path(positional[0]);
  for (size_t i = 1; i < positional.size(); ++i) {
    std::optional<Group> group = ParseGroup(positional[i]);
    if (!group)
      return Usage(("bad group '" + std::string(positional[i]) + "'").c_str());
    options.groups.push_back(*group);
  }

  std::vector<uint64_t> buffer((size_t{1} << 20) / 8);
  uint64_t files = 0;
  uint64_t bytes = 0;
  for (const Group& group : options.groups) {
    Rng rng(options.seed ^ Fnv1a(group.name));
    fs::path subdir;
    for (uint64_t i = 0; i < group.count; ++i) {
      if (i % options.per_dir == 0) {
        char name[32];
        std::snprintf(name, sizeof name, "d%04llu",
                      static_cast<unsigned long long>(i / options.per_dir));
        subdir = options.dir / group.name / name;
        std::error_code ec;
        fs::create_directories(subdir, ec);
        if (ec) {
          std::fprintf(stderr, "make_tree: cannot create %s: %s\n", subdir.c_str(),
                       ec.message().c_str());
          return 1;
        }
      }
      char name[32];
      std::snprintf(name, sizeof name, "f%07llu.bin", static_cast<unsigned long long>(i));
      uint64_t size = rng.Between(group.min_size, group.max_size);
      if (!WriteFile(subdir / name, size, rng, options.mtime, buffer))
        return 1;
      ++files;
      bytes += size;
    }
  }
  std::printf("%llu files, %llu bytes\n", static_cast<unsigned long long>(files),
              static_cast<unsigned long long>(bytes));
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
