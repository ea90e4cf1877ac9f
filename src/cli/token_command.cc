// `conveyor token create|list|revoke`: the token file `conveyor serve
// --tokens FILE` reads (format: serving/token_store.h). A token is shown
// once, when created; the file keeps only its SHA-256.
//
// The file defaults to <project>/.conveyor/tokens (beside the registry, not
// committed); outside a project --file is required. It is written with mode
// 0600 through a temporary file and a rename, under a lock file beside it
// (FILE.lock), so two commands never lose each other's change.
#include <openssl/rand.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/base64.h"
#include "common/file_lock.h"
#include "common/file_util.h"
#include "common/nearest.h"
#include "common/sha256.h"
#include "pipeline/project.h"
#include "serving/token_store.h"

namespace conveyor::cli {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr size_t kTokenBytes = 32;
constexpr std::string_view kTokenPrefix = "cvy_";
constexpr std::string_view kFileHeader =
    "# conveyor token file, format 1: NAME ROLE sha256:HEX per line (see docs/security.md).\n"
    "# Written by 'conveyor token'; holds hashes of tokens, never tokens.\n";

// "cvy_" and 32 random bytes in unpadded base64url (43 characters): the
// prefix lets secret scanners recognise a leaked token.
Result<std::string> NewToken() {
  std::string bytes(kTokenBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size())) !=
      1) {
    return Error(Code::kInternal, "cannot make a random token: OpenSSL's RAND_bytes failed");
  }
  std::string text = EncodeBase64(bytes);
  std::replace(text.begin(), text.end(), '+', '-');
  std::replace(text.begin(), text.end(), '/', '_');
  text.erase(std::remove(text.begin(), text.end(), '='), text.end());
  return std::string(kTokenPrefix) + text;
}

constexpr fs::perms kOwnerOnly = fs::perms::owner_read | fs::perms::owner_write;

class TokenCommand : public Command {
 public:
  std::string_view Name() const override { return "token"; }
  std::string_view Summary() const override {
    return "Create, list and revoke the bearer tokens 'conveyor serve --tokens' accepts";
  }

  void Configure(CLI::App& app) override {
    create_ = app.add_subcommand(
        "create", "Make a random token with a role, print it once, and keep its hash in the file");
    create_
        ->add_option("name", name_,
                     "The token's name, shown in logs and the audit log (1-64 of A-Z a-z 0-9 "
                     ". _ -)")
        ->required();
    create_
        ->add_option("-r,--role", role_,
                     "read (metas, docs, model info), predict (+ /predict, V2 infer), "
                     "feedback, or admin (everything, /replace_ml_model)")
        ->type_name("ROLE")
        ->required();

    list_ = app.add_subcommand("list", "Print each token's name and role (never hashes)");
    list_->add_flag("--json", json_, "Print JSON: [{\"name\": ..., \"role\": ...}]");

    revoke_ = app.add_subcommand("revoke", "Remove a token from the file");
    revoke_->add_option("name", name_, "The token's name")->required();

    for (CLI::App* sub : {create_, list_, revoke_}) {
      sub->add_option("-f,--file", file_,
                      "The token file (default: .conveyor/tokens in the project; required "
                      "outside one)")
          ->type_name("FILE");
    }
    app.require_subcommand(1);
    app.footer(
        "Examples:\n"
        "  conveyor token create ops --role admin      prints the token once\n"
        "  conveyor token create ci --role predict --file /etc/conveyor/tokens\n"
        "  conveyor token list\n"
        "  conveyor token revoke ci\n"
        "  conveyor serve --tokens .conveyor/tokens\n"
        "\n"
        "The file holds one 'NAME ROLE sha256:HEX' line per token, mode 0600; a running\n"
        "server reads it at start, so restart it after a change. Tokens can also be given\n"
        "to serve in CONVEYOR_TOKENS (see docs/security.md).");
  }

  Status Run(const GlobalOptions& global, Console& console) override {
    ASSIGN_OR_RETURN(fs::path path, TokenFilePath(global));
    if (list_->parsed())
      return List(path, console);
    ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock,
                     FileLock::Acquire(path.string() + ".lock", std::chrono::seconds(5)));
    if (create_->parsed())
      return Create(path, console);
    return Revoke(path, console);
  }

 private:
  Result<fs::path> TokenFilePath(const GlobalOptions& global) const {
    if (!file_.empty())
      return global.cwd / file_;
    Result<Project> project = Project::Discover(global.cwd);
    if (!project.ok()) {
      return Error(Code::kUsage,
                   "not in a project, so there is no default token file: give one with --file");
    }
    return project->root() / ".conveyor" / "tokens";
  }

  // The file's text ("" when it does not exist yet) and its entries.
  static Result<std::pair<std::string, std::vector<serving::TokenEntry>>> Read(const fs::path& path,
                                                                               bool must_exist) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      if (must_exist) {
        return Error(Code::kNotFound,
                     "no token file at {} (create a token with 'conveyor token create')",
                     path.string());
      }
      return std::pair<std::string, std::vector<serving::TokenEntry>>{};
    }
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
    ASSIGN_OR_RETURN(std::vector<serving::TokenEntry> entries,
                     serving::ParseTokenFile(text, path.string()));
    return std::pair{std::move(text), std::move(entries)};
  }

  Status Create(const fs::path& path, Console& console) {
    RETURN_IF_ERROR(serving::ValidateTokenName("token create", name_));
    std::optional<serving::Role> role = serving::ParseRole(role_);
    if (!role) {
      std::vector<std::string> roles = {"read", "predict", "feedback", "admin"};
      return Error(Code::kUsage, "--role: unknown role '{}' (known roles: {}){}", role_,
                   serving::KnownRoles(), DidYouMean(role_, roles));
    }
    ASSIGN_OR_RETURN(auto existing, Read(path, /*must_exist=*/false));
    auto& [text, entries] = existing;
    for (const serving::TokenEntry& entry : entries) {
      if (entry.name == name_) {
        return Error(Code::kAlreadyExists,
                     "{} already has a token named '{}' ({}); revoke it first or pick another name",
                     path.string(), name_, entry.origin);
      }
    }
    ASSIGN_OR_RETURN(std::string token, NewToken());
    if (text.empty())
      text = kFileHeader;
    else if (text.back() != '\n')
      text += '\n';
    text += serving::FormatTokenLine(name_, *role, Sha256(token)) + "\n";
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    RETURN_IF_ERROR(AtomicWriteFile(path, text, kOwnerOnly));
    console.Out(token);
    console.Note(fmt::format(
        "Created token '{}' with role {} in {}. It is printed once, above: store it now (the "
        "file keeps only its hash). Clients send 'Authorization: Bearer TOKEN'.",
        name_, serving::RoleName(*role), path.string()));
    return OkStatus();
  }

  Status List(const fs::path& path, Console& console) {
    ASSIGN_OR_RETURN(auto existing, Read(path, /*must_exist=*/false));
    const std::vector<serving::TokenEntry>& entries = existing.second;
    if (json_) {
      Json list = Json::array();
      for (const serving::TokenEntry& entry : entries)
        list.push_back({{"name", entry.name}, {"role", serving::RoleName(entry.role)}});
      console.Out(list.dump(2));
      return OkStatus();
    }
    if (entries.empty()) {
      console.Note(fmt::format("No tokens in {}.", path.string()));
      return OkStatus();
    }
    for (const serving::TokenEntry& entry : entries)
      console.Out(fmt::format("{}\t{}", entry.name, serving::RoleName(entry.role)));
    return OkStatus();
  }

  Status Revoke(const fs::path& path, Console& console) {
    ASSIGN_OR_RETURN(auto existing, Read(path, /*must_exist=*/true));
    const auto& [text, entries] = existing;
    std::vector<std::string> names;
    for (const serving::TokenEntry& entry : entries)
      names.push_back(entry.name);
    if (std::find(names.begin(), names.end(), name_) == names.end()) {
      return Error(Code::kNotFound, "{} has no token named '{}'{}", path.string(), name_,
                   DidYouMean(name_, names));
    }
    // Keep every line (comments included) but the one naming the token; the
    // file parsed, so a token line's first field is its name.
    std::string kept;
    std::string_view rest = text;
    while (!rest.empty()) {
      size_t newline = rest.find('\n');
      std::string_view line =
          rest.substr(0, newline == std::string_view::npos ? rest.size() : newline + 1);
      rest.remove_prefix(line.size());
      std::string_view body = line;
      while (!body.empty() && (body.front() == ' ' || body.front() == '\t'))
        body.remove_prefix(1);
      size_t end = body.find_first_of(" \t\r\n");
      if (!body.starts_with('#') && body.substr(0, end) == name_)
        continue;
      kept += line;
    }
    RETURN_IF_ERROR(AtomicWriteFile(path, kept, kOwnerOnly));
    console.Note(fmt::format(
        "Revoked token '{}' in {}. Restart servers that read this file for it to take effect.",
        name_, path.string()));
    return OkStatus();
  }

  CLI::App* create_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* revoke_ = nullptr;
  std::string name_;
  std::string role_;
  std::string file_;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeTokenCommand() { return std::make_unique<TokenCommand>(); }

}  // namespace conveyor::cli
