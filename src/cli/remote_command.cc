// `conveyor remote add|modify|list|remove|default`: the project's remotes, in
// DVC's .dvc/config and .dvc/config.local (remote/dvc_config.h), with DVC's
// flags, so either tool can read what the other wrote.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/redact.h"
#include "pipeline/project.h"
#include "remote/dvc_config.h"
#include "remote/remote_options.h"

namespace conveyor::cli {

namespace {

using Json = nlohmann::ordered_json;

class RemoteCommand : public Command {
 public:
  std::string_view Name() const override { return "remote"; }
  std::string_view Summary() const override {
    return "Add, change, list and remove data remotes (DVC's .dvc/config)";
  }

  void Configure(CLI::App& app) override {
    add_ = app.add_subcommand("add", "Add a remote: a local path, s3:// or ssh:// (sftp://)");
    add_->add_option("name", name_, "Remote name (lower case; DVC lower-cases names)")->required();
    add_->add_option("url", url_,
                     "Where the data goes: /path, file:///path, s3://bucket/prefix, "
                     "ssh://[user@]host[:port]/path")
        ->required();
    add_->add_flag("-d,--default", make_default_, "Also make it the default remote");
    add_->add_flag("-f,--force", force_, "Replace a remote of the same name");

    modify_ = app.add_subcommand("modify", "Set or unset one option of a remote");
    modify_->add_option("name", name_, "Remote name")->required();
    modify_->add_option("option", option_, "Option, e.g. endpointurl, region, user, port")
        ->required();
    modify_->add_option("value", value_, "New value (omit with -u)");
    modify_->add_flag("-u,--unset", unset_, "Remove the option");

    list_ = app.add_subcommand(
        "list", "Print each remote: name, url and (default); a password in a url is masked");
    list_->add_flag("--json", json_, "Print JSON (secret values and url passwords masked)");

    remove_ = app.add_subcommand("remove", "Remove a remote (and core.remote if it named it)");
    remove_->add_option("name", name_, "Remote name")->required();

    default_ = app.add_subcommand("default", "Print, set or unset the default remote");
    default_->add_option("name", name_, "Remote to make the default (omit to print it)");
    default_->add_flag("-u,--unset", unset_, "Unset the default remote");

    for (CLI::App* sub : {add_, modify_, remove_, default_}) {
      sub->add_flag("--local", local_,
                    "Write .dvc/config.local (not committed; for secrets and per-machine "
                    "settings) instead of .dvc/config");
    }
    app.require_subcommand(1);
    app.footer(
        "Examples:\n"
        "  conveyor remote add -d storage s3://my-bucket/dvcstore\n"
        "  conveyor remote modify storage endpointurl http://127.0.0.1:9000\n"
        "  conveyor remote modify --local storage secret_access_key ...\n"
        "  conveyor remote add backup ssh://alice@nas.example:2222/srv/dvc\n"
        "  conveyor remote add scratch ../dvc-scratch      a folder, stored relative to .dvc/\n"
        "  conveyor remote list\n"
        "  conveyor remote default backup\n"
        "  conveyor remote remove scratch\n"
        "\n"
        "Settings live in .dvc/config and .dvc/config.local in DVC's format; values in\n"
        "config.local win. Options per type are DVC's (see 'dvc remote modify'); an\n"
        "unknown one is refused with the list of known ones.");
  }

  Status Run(const GlobalOptions& global, Console& console) override {
    ASSIGN_OR_RETURN(Project project, Project::Discover(global.cwd));
    ASSIGN_OR_RETURN(DvcConfig config, DvcConfig::Load(project.dvc_dir()));
    ConfigLevel level = local_ ? ConfigLevel::kLocal : ConfigLevel::kRepo;
    if (list_->parsed())
      return List(config, console);
    if (default_->parsed() && name_.empty() && !unset_) {
      std::optional<std::string> name =
          local_ ? config.DefaultRemote(ConfigLevel::kLocal) : config.DefaultRemote();
      if (!name)
        return Error(Code::kNotFound, "no default remote set");
      console.Out(*name);
      return OkStatus();
    }

    if (add_->parsed()) {
      std::string url = PathForConfig(url_, global.cwd, project.dvc_dir());
      RETURN_IF_ERROR(config.AddRemote(level, name_, url, force_));
      WarnIfUrlHasPassword(url, console);
      if (make_default_) {
        console.Note(fmt::format("Setting '{}' as the default remote.", Lower(name_)));
        RETURN_IF_ERROR(config.SetDefaultRemote(level, name_));
      }
    } else if (modify_->parsed()) {
      if (unset_) {
        if (!value_.empty())
          return Error(Code::kUsage, "remote modify: give a VALUE or -u, not both");
        RETURN_IF_ERROR(config.UnsetRemoteOption(level, name_, Lower(option_)));
      } else {
        if (value_.empty() && modify_->count("value") == 0) {
          return Error(Code::kUsage, "remote modify: give a VALUE for '{}', or -u to unset it",
                       option_);
        }
        std::string value = IsPathOption(Lower(option_))
                                ? PathForConfig(value_, global.cwd, project.dvc_dir())
                                : value_;
        RETURN_IF_ERROR(config.SetRemoteOption(level, name_, option_, value));
        if (Lower(option_) == "url")
          WarnIfUrlHasPassword(value, console);
        if (IsSecretOption(Lower(option_)) && !local_) {
          console.Warn(
              fmt::format("'{}' is a secret and .dvc/config is committed to Git; keep it in "
                          ".dvc/config.local with 'conveyor remote modify --local {} {} ...'",
                          Lower(option_), Lower(name_), Lower(option_)));
        }
      }
    } else if (remove_->parsed()) {
      RETURN_IF_ERROR(config.RemoveRemote(level, name_));
    } else if (unset_) {
      if (!name_.empty())
        return Error(Code::kUsage, "remote default: give a NAME or -u, not both");
      config.UnsetDefaultRemote(level);
    } else {
      RETURN_IF_ERROR(config.SetDefaultRemote(level, name_));
    }
    return config.Save();
  }

 private:
  static std::string Lower(std::string text) {
    for (char& c : text)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  }

  // A password in a url ends up wherever the file goes; .dvc/config goes to
  // Git.
  void WarnIfUrlHasPassword(std::string_view url, Console& console) const {
    if (local_ || RedactUrlPasswords(url) == url)
      return;
    console.Warn(fmt::format(
        "the url of '{}' holds a password and .dvc/config is committed to Git; set it with "
        "'conveyor remote modify --local {} password ...' instead",
        Lower(name_), Lower(name_)));
  }

  Status List(const DvcConfig& config, Console& console) {
    ASSIGN_OR_RETURN(std::vector<RemoteConfig> remotes, config.Remotes());
    std::optional<std::string> default_remote = config.DefaultRemote();
    if (json_) {
      Json array = Json::array();
      for (const RemoteConfig& remote : remotes) {
        Json item;
        item["name"] = remote.name;
        item["url"] = RedactUrlPasswords(remote.url);
        item["default"] = remote.name == default_remote;
        item["options"] = Json::object();
        for (const auto& [key, value] : remote.options)
          item["options"][key] = IsSecretOption(key) ? std::string(kRedacted) : value;
        array.push_back(std::move(item));
      }
      console.Out(array.dump(2));
      return OkStatus();
    }
    std::string text;
    for (const RemoteConfig& remote : remotes) {
      text += fmt::format("{}\t{}{}\n", remote.name, RedactUrlPasswords(remote.url),
                          remote.name == default_remote ? "\t(default)" : "");
    }
    if (!text.empty()) {
      text.pop_back();
      console.Out(text);
    }
    return OkStatus();
  }

  CLI::App* add_ = nullptr;
  CLI::App* modify_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* remove_ = nullptr;
  CLI::App* default_ = nullptr;
  std::string name_;
  std::string url_;
  std::string option_;
  std::string value_;
  bool make_default_ = false;
  bool force_ = false;
  bool unset_ = false;
  bool local_ = false;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeRemoteCommand() { return std::make_unique<RemoteCommand>(); }

}  // namespace conveyor::cli
