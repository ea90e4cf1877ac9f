// A driver for the fuzz targets without libFuzzer (g++ builds, `make test`):
// runs every input of the given corpus, then deterministic mutations of them
// (bit flips, special bytes, deleted, repeated and inserted runs, splices of
// two inputs, truncation) for a bounded count and time. Not coverage-guided:
// it keeps the corpus honest and catches what small changes to good inputs
// break. `make fuzz` runs the same targets under libFuzzer.
//
//   multipart_fuzz [--mutations N] [--seconds S] [--seed N] PATH...
//
// PATH is a file or a directory of files. If a target crashes, runs out of
// memory (the address space is capped at --max-memory MiB, default 2048,
// except under ASan, which needs its shadow space) or takes more than
// --timeout seconds (default 10) on one input, the input is left in
// ./fuzz-crash-<target> (written by the signal handler) to replay:
// `multipart_fuzz fuzz-crash-multipart_fuzz`.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/fuzz_target.h"

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxInput = 64 * 1024;

// The input being run, for the crash handler.
const uint8_t* g_current = nullptr;
size_t g_current_size = 0;
char g_crash_path[256] = "fuzz-crash";

void OnCrash(int signal_number) {
  const int fd = ::open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    size_t done = 0;
    while (done < g_current_size) {
      const ssize_t n = ::write(fd, g_current + done, g_current_size - done);
      if (n <= 0) {
        break;
      }
      done += static_cast<size_t>(n);
    }
    ::close(fd);
  }
  static const char kMessage[] =
      "fuzz: crashed, ran out of memory or timed out; the input is in ./";
  (void)!::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  (void)!::write(STDERR_FILENO, g_crash_path, std::strlen(g_crash_path));
  (void)!::write(STDERR_FILENO, "\n", 1);
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

unsigned g_timeout_seconds = 10;

void Run(const std::vector<uint8_t>& input) {
  g_current = input.data();
  g_current_size = input.size();
  ::alarm(g_timeout_seconds);
  LLVMFuzzerTestOneInput(input.data(), input.size());
  ::alarm(0);
  g_current = nullptr;
  g_current_size = 0;
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

// splitmix64: small, deterministic, good enough to pick mutations.
struct Random {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(Next() % n); }
};

constexpr uint8_t kSpecial[] = {0,   0xff, 0x7f, 0x80, '\n', '\r', '"', '\\', '{', '}', '[',
                                ']', ':',  ',',  '$',  '-',  '0',  '9', '.',  '=', ';', ' '};

void Mutate(std::vector<uint8_t>& data, const std::vector<std::vector<uint8_t>>& corpus,
            Random& random) {
  const size_t steps = 1 + random.Below(4);
  for (size_t step = 0; step < steps; ++step) {
    const size_t at = random.Below(data.size() + 1);
    switch (random.Below(7)) {
      case 0:  // flip a bit
        if (!data.empty()) {
          data[random.Below(data.size())] ^= static_cast<uint8_t>(1U << random.Below(8));
        }
        break;
      case 1:  // a special byte
        if (!data.empty()) {
          data[random.Below(data.size())] = kSpecial[random.Below(sizeof kSpecial)];
        }
        break;
      case 2: {  // delete a run
        const size_t n = std::min(data.size() - std::min(at, data.size()), 1 + random.Below(16));
        data.erase(data.begin() + static_cast<ptrdiff_t>(at),
                   data.begin() + static_cast<ptrdiff_t>(at + n));
        break;
      }
      case 3: {  // repeat a run
        if (data.empty()) {
          break;
        }
        const size_t from = random.Below(data.size());
        const size_t n = std::min(data.size() - from, 1 + random.Below(64));
        const std::vector<uint8_t> run(data.begin() + static_cast<ptrdiff_t>(from),
                                       data.begin() + static_cast<ptrdiff_t>(from + n));
        const size_t times = 1 + random.Below(8);
        for (size_t t = 0; t < times; ++t) {
          data.insert(data.begin() + static_cast<ptrdiff_t>(at), run.begin(), run.end());
        }
        break;
      }
      case 4: {  // insert random bytes
        const size_t n = 1 + random.Below(8);
        for (size_t i = 0; i < n; ++i) {
          data.insert(data.begin() + static_cast<ptrdiff_t>(at),
                      static_cast<uint8_t>(random.Next()));
        }
        break;
      }
      case 5: {  // splice: our head, another input's tail
        const std::vector<uint8_t>& other = corpus[random.Below(corpus.size())];
        const size_t from = random.Below(other.size() + 1);
        data.resize(at);
        data.insert(data.end(), other.begin() + static_cast<ptrdiff_t>(from), other.end());
        break;
      }
      default:  // truncate
        data.resize(at);
        break;
    }
    if (data.size() > kMaxInput) {
      data.resize(kMaxInput);
    }
  }
}

std::vector<uint8_t> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int Usage(const char* program) {
  std::fprintf(stderr,
               "usage: %s [--mutations N] [--seconds S] [--seed N] [--timeout S]\n"
               "          [--max-memory MIB] PATH...\n"
               "Runs each corpus file (PATH: a file or a directory of them), then N mutations\n"
               "of them (default 2000), stopping after S seconds (default 20). One input may\n"
               "take --timeout seconds (default 10) and the process --max-memory MiB of\n"
               "address space (default 2048; not enforced under ASan).\n",
               program);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  size_t mutations = 2000;
  double seconds = 20;
  uint64_t seed = 1;
  uint64_t max_memory_mib = 2048;
  uint64_t timeout = 10;
  std::vector<fs::path> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--mutations" || arg == "--seconds" || arg == "--seed" || arg == "--timeout" ||
         arg == "--max-memory") &&
        i + 1 < argc) {
      const char* value = argv[++i];
      char* end = nullptr;
      if (arg == "--seconds") {
        seconds = std::strtod(value, &end);
      } else {
        const unsigned long long n = std::strtoull(value, &end, 10);
        (arg == "--mutations" ? mutations
         : arg == "--seed"    ? seed
         : arg == "--timeout" ? timeout
                              : max_memory_mib) = n;
      }
      if (end == value || *end != '\0') {
        return Usage(argv[0]);
      }
    } else if (arg.rfind("--", 0) == 0) {
      return Usage(argv[0]);
    } else {
      paths.emplace_back(arg);
    }
  }
  if (paths.empty()) {
    return Usage(argv[0]);
  }
  const std::string name = fs::path(argv[0]).filename().string();
  std::snprintf(g_crash_path, sizeof g_crash_path, "fuzz-crash-%s", name.c_str());
  for (int signal_number : {SIGSEGV, SIGABRT, SIGILL, SIGFPE, SIGBUS, SIGTRAP, SIGALRM}) {
    ::signal(signal_number, OnCrash);
  }
  g_timeout_seconds = static_cast<unsigned>(std::max<uint64_t>(1, timeout));
  if (!kAddressSanitizer && max_memory_mib > 0) {
    const rlimit limit{max_memory_mib << 20, max_memory_mib << 20};
    ::setrlimit(RLIMIT_AS, &limit);
  }

  std::vector<fs::path> files;
  for (const fs::path& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      for (const auto& entry : fs::directory_iterator(path)) {
        if (entry.is_regular_file()) {
          files.push_back(entry.path());
        }
      }
    } else if (fs::is_regular_file(path, ec)) {
      files.push_back(path);
    } else {
      std::fprintf(stderr, "%s: %s: no such file or directory\n", name.c_str(),
                   path.string().c_str());
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<std::vector<uint8_t>> corpus;
  corpus.reserve(files.size());
  for (const fs::path& file : files) {
    corpus.push_back(ReadFile(file));
    Run(corpus.back());
  }
  if (corpus.empty()) {
    corpus.emplace_back();
  }
  Run({});

  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  Random random{seed};
  size_t done = 0;
  for (; done < mutations && std::chrono::steady_clock::now() < deadline; ++done) {
    std::vector<uint8_t> input = corpus[random.Below(corpus.size())];
    Mutate(input, corpus, random);
    Run(input);
  }
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s: %zu corpus inputs, %zu mutations in %.2f s, no crash\n", name.c_str(),
              files.size(), done, took);
  return 0;
}
