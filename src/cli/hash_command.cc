// `conveyor hash`: the hash DVC would record for files and directories.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cache/hasher.h"
#include "cli/commands.h"

namespace conveyor::cli {

namespace {

class HashCommand : public Command {
 public:
  std::string_view Name() const override { return "hash"; }
  std::string_view Summary() const override {
    return "Print the md5, size and file count DVC would record for each path";
  }
  void Configure(CLI::App& app) override {
    app.add_option("paths", paths_, "Files or directories")->required();
    app.add_flag("--json", json_, "Print a JSON array of {path, md5, size, nfiles}");
    app.add_option("-j,--jobs", jobs_, "Hashing threads (default: every core)")
        ->check(CLI::Range(1, 256));
    app.footer(
        "Example:\n"
        "  conveyor hash data/ model.bin\n"
        "  3863d0e317dee0a55c4e59d2ec0eef33.dir  1048576  3  data\n"
        "Directories are hashed as DVC 3 does; .dvcignore rules are not applied here.");
  }
  Status Run(const GlobalOptions& global, Console& console) override {
    HasherOptions options;
    options.threads = jobs_;
    Hasher hasher(nullptr, nullptr, options);
    nlohmann::ordered_json json = nlohmann::ordered_json::array();
    for (const std::string& path : paths_) {
      std::filesystem::path absolute = global.cwd / path;
      ASSIGN_OR_RETURN(HashedObject hashed, hasher.Hash(absolute, false));
      const HashInfo& hash = hashed.hash;
      if (json_) {
        nlohmann::ordered_json item;
        item["path"] = path;
        item["md5"] = hash.md5;
        item["size"] = hash.size;
        if (hash.nfiles)
          item["nfiles"] = *hash.nfiles;
        json.push_back(std::move(item));
      } else {
        console.Out(fmt::format("{}  {}  {}  {}", hash.md5, hash.size,
                                hash.nfiles ? std::to_string(*hash.nfiles) : "-", path));
      }
    }
    if (json_)
      console.Out(json.dump(2));
    return OkStatus();
  }

 private:
  std::vector<std::string> paths_;
  bool json_ = false;
  int jobs_ = 0;
};

}  // namespace

std::unique_ptr<Command> MakeHashCommand() { return std::make_unique<HashCommand>(); }

}  // namespace conveyor::cli
