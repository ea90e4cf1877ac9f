// `conveyor model list|show|register|promote|demote`: the model registry.
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/registry_commands.h"
#include "experiments/experiment_builder.h"
#include "pipeline/dag.h"
#include "pipeline/lock_file.h"
#include "pipeline/workspace.h"
#include "registry/model_ref.h"
#include "registry/promotion_gate.h"
#include "registry/registry_json.h"
#include "report/text_table.h"
#include "serving/model_evaluation.h"
#include "serving/model_loader.h"

namespace conveyor::cli {

namespace {

using Json = nlohmann::ordered_json;

std::string JoinAliases(const std::vector<std::string>& aliases) {
  std::string text;
  for (const std::string& alias : aliases)
    text += (text.empty() ? "" : ",") + alias;
  return text.empty() ? "-" : text;
}

// The hash dvc.lock records for project-relative `path` as some stage's output.
Result<std::string> OutputHash(const Project& project, const std::string& path) {
  ASSIGN_OR_RETURN(Workspace workspace, Workspace::Load(project));
  for (const StageNode& node : workspace.dag().nodes()) {
    for (size_t i = 0; i < node.out_paths.size(); ++i) {
      if (node.out_paths[i] != path)
        continue;
      std::string lock_path = Workspace::LockPathFor(node.dvcfile);
      ASSIGN_OR_RETURN(LockFile lock, ReadLockFile(project.root() / lock_path));
      const LockedStage* locked = lock.Find(node.stage.name);
      for (const LockEntry& out : locked ? locked->outs : std::vector<LockEntry>{}) {
        auto joined = JoinProjectPath(node.wdir, out.path);
        if (joined.ok() && *joined == path && !out.hash.md5.empty())
          return out.hash.md5;
      }
      return Error(Code::kNotFound, "'{}' is an output of stage '{}', which has not run yet", path,
                   node.Address());
    }
  }
  for (const TrackedFile& tracked : workspace.tracked()) {
    for (const auto& out : tracked.content.outs) {
      auto joined = JoinProjectPath(ParentDir(tracked.dvcfile), out.path);
      if (joined.ok() && *joined == path)
        return out.hash.md5;
    }
  }
  return Error(Code::kNotFound,
               "'{}' is neither a stage output nor tracked by a .dvc file; a model version "
               "must point at content in the cache",
               path);
}

class ModelCommand : public Command {
 public:
  std::string_view Name() const override { return "model"; }
  std::string_view Summary() const override {
    return "The model registry: versions, aliases such as production, and their history";
  }
  void Configure(CLI::App& app) override {
    list_ = app.add_subcommand("list", "Every model with its latest version and aliases");
    list_->add_option("model", list_model_, "List this model's versions instead");
    list_->add_flag("--json", json_, "Print JSON");

    show_ = app.add_subcommand("show", "One version: where it came from, aliases, history");
    show_->add_option("ref", ref_, "NAME, NAME@VERSION, NAME@ALIAS, NAME@TAG or NAME@latest")
        ->required();
    show_->add_flag("--json", json_, "Print JSON");

    register_ = app.add_subcommand("register", "Register an output as a new model version");
    register_->add_option("name", name_, "Model name")->required();
    register_->add_option("--path", path_, "The output (file or directory) that is the model")
        ->required();
    register_->add_option("--spec", spec_, "Its model spec (default: PATH/model.yaml)");
    register_->add_option("-d,--description", description_, "Free text");
    register_->add_flag("--json", json_, "Print the new version as JSON");

    promote_ = app.add_subcommand("promote", "Point an alias (e.g. production) at a version");
    promote_->add_option("ref", ref_, "NAME@VERSION, NAME@TAG, NAME@ALIAS ...")->required();
    promote_->add_option("alias", alias_, "Alias to set, e.g. production or staging")->required();
    promote_->add_option("--reason", reason_, "Why, kept in the alias history");
    promote_->add_option("--if-better", if_better_,
                         "Move the alias only if this version beats the one holding it on "
                         "METRIC by at least MIN_DELTA (METRIC[:MIN_DELTA], METRIC may be "
                         "FILE:KEY); the decision is recorded either way");
    promote_->add_flag("--lower-is-better", lower_is_better_,
                       "With --if-better: smaller values win (loss, error rates)");
    promote_
        ->add_option("--evaluate-on", evaluate_on_,
                     "With --if-better: score this version and the one holding the alias on "
                     "FILE (a samples file or CSV of labelled raw inputs, e.g. from 'conveyor "
                     "feedback export') through the serving path, instead of comparing their "
                     "experiments' metrics; repeatable (the files' rows together); METRIC is "
                     "accuracy, macro_precision, macro_recall or macro_f1")
        ->type_name("FILE");
    promote_->add_flag("--json", json_, "Print the outcome as JSON");

    demote_ = app.add_subcommand("demote", "Remove an alias from a model");
    demote_->add_option("name", name_, "Model name")->required();
    demote_->add_option("alias", alias_, "Alias to remove")->required();
    demote_->add_option("--reason", reason_, "Why, kept in the alias history");

    for (CLI::App* sub : {list_, show_, register_, promote_, demote_})
      AddRegistryFlag(*sub, registry_);
    app.require_subcommand(1);
    app.footer(
        "Examples:\n"
        "  conveyor model list                          models, latest versions, aliases\n"
        "  conveyor model show digits@production\n"
        "  conveyor model promote digits@3 production --reason 'beats v2 on accuracy'\n"
        "  conveyor model promote digits@a1b2c3d production --if-better accuracy:0.005\n"
        "  conveyor model promote digits@latest production --if-better loss --lower-is-better\n"
        "  conveyor model promote digits@latest production --if-better accuracy \\\n"
        "      --evaluate-on data/feedback_holdout.samples   both scored on the same data\n"
        "  conveyor model demote digits staging\n"
        "\n"
        "Models declared in conveyor.yaml get a new version after each run that changes them.");
  }

  Status Run(const GlobalOptions& global, Console& console) override {
    ASSIGN_OR_RETURN(std::unique_ptr<OpenedRegistry> registry, OpenRegistry(global, registry_));
    RegistryStore& store = *registry->store;
    if (list_->parsed())
      return list_model_.empty() ? ListModels(store, console) : ListVersions(store, console);
    if (show_->parsed())
      return Show(store, console);
    if (register_->parsed())
      return Register(*registry, global, console);
    if (promote_->parsed() && !if_better_.empty())
      return PromoteGated(*registry, global, console);
    if (promote_->parsed() && !evaluate_on_.empty())
      return Error(Code::kUsage, "--evaluate-on only applies with --if-better METRIC");
    if (promote_->parsed()) {
      if (lower_is_better_)
        return Error(Code::kUsage, "--lower-is-better only applies with --if-better METRIC");
      ASSIGN_OR_RETURN(ModelVersion version, ResolveModelRef(store, ref_));
      ASSIGN_OR_RETURN(AliasEvent event, store.SetAlias(version.model, alias_, version.version,
                                                        CurrentActor(), reason_));
      if (json_) {
        console.Out(AliasEventToJson(event).dump(2));
        return OkStatus();
      }
      console.Out(event.previous_version > 0
                      ? fmt::format("{}@{}: v{} -> v{}", event.model, event.alias,
                                    event.previous_version, event.version)
                      : fmt::format("{}@{}: v{}", event.model, event.alias, event.version));
      return OkStatus();
    }
    ASSIGN_OR_RETURN(AliasEvent event, store.RemoveAlias(name_, alias_, CurrentActor(), reason_));
    console.Out(
        fmt::format("{}@{} removed (was v{})", event.model, event.alias, event.previous_version));
    return OkStatus();
  }

 private:
  // promote --if-better: the gate decides (registry/promotion_gate.h).
  // Either decision exits 0; --json tells scripts which it was.
  Status PromoteGated(OpenedRegistry& registry, const GlobalOptions& global, Console& console) {
    RegistryStore& store = *registry.store;
    ASSIGN_OR_RETURN(GateSpec spec, ParseGateSpec(if_better_, lower_is_better_));
    std::optional<serving::LabelledRows> data;
    std::unique_ptr<serving::RegistryModelLoader> loader;
    VersionScorer scorer;
    if (!evaluate_on_.empty()) {
      if (!spec.file.empty()) {
        return Error(Code::kUsage,
                     "with --evaluate-on, METRIC is what the evaluation computes (accuracy, "
                     "macro_f1, ...), not a metrics file's key ('{}')",
                     spec.Metric());
      }
      RETURN_IF_ERROR(serving::NamedMetric({}, spec.key).status());
      for (const std::string& file : evaluate_on_) {
        ASSIGN_OR_RETURN(serving::LabelledRows rows, serving::ReadLabelledRows(global.cwd / file));
        if (!data.has_value()) {
          data = std::move(rows);
        } else {
          RETURN_IF_ERROR(serving::AppendLabelledRows(*data, std::move(rows)));
        }
      }
      loader = std::make_unique<serving::RegistryModelLoader>(
          store, ObjectStore(registry.project.cache_dir()),
          registry.project.root() / ".conveyor" / "serving");
      scorer.source =
          fmt::format("{} ({} rows)", fmt::join(evaluate_on_, " + "), data->labels.size());
      scorer.score = [&](const ModelVersion& version) -> Result<double> {
        console.Note(
            fmt::format("Scoring {} v{} on {}", version.model, version.version, scorer.source));
        ASSIGN_OR_RETURN(std::unique_ptr<serving::ServedModel> model,
                         loader->Load(fmt::format("{}@{}", version.model, version.version)));
        ASSIGN_OR_RETURN(ml::ClassificationMetrics metrics, serving::EvaluateModel(*model, *data));
        return serving::NamedMetric(metrics, spec.key);
      };
    }
    ASSIGN_OR_RETURN(PromotionOutcome outcome,
                     PromoteIfBetter(store, ref_, alias_, spec, CurrentActor(), reason_,
                                     data.has_value() ? &scorer : nullptr));
    const Contender& challenger = outcome.challenger;
    const Contender& champion = outcome.champion;
    bool promoted = outcome.decision.promote;
    if (json_) {
      auto side = [](const Contender& c) -> Json {
        if (c.version == 0)
          return nullptr;
        Json item;
        item["version"] = c.version;
        item["experiment"] = c.experiment.empty() ? Json(nullptr) : Json(c.experiment);
        item["value"] = c.value.has_value() ? Json(*c.value) : Json(nullptr);
        return item;
      };
      Json json;
      json["model"] = outcome.model;
      json["alias"] = outcome.alias;
      json["decision"] = promoted ? "promoted" : "kept";
      json["version"] = promoted ? challenger.version : champion.version;
      json["metric"] = spec.Metric();
      json["min_delta"] = spec.min_delta;
      json["lower_is_better"] = spec.lower_is_better;
      json["evaluated_on"] = data.has_value() ? Json(scorer.source) : Json(nullptr);
      json["challenger"] = side(challenger);
      json["champion"] = side(champion);
      json["reason"] = outcome.decision.reason;
      console.Out(json.dump(2));
      return OkStatus();
    }
    if (promoted) {
      console.Out(champion.version > 0
                      ? fmt::format("{}@{}: v{} -> v{} ({})", outcome.model, outcome.alias,
                                    champion.version, challenger.version, outcome.decision.reason)
                      : fmt::format("{}@{}: v{} ({})", outcome.model, outcome.alias,
                                    challenger.version, outcome.decision.reason));
    } else {
      console.Out(fmt::format("{}@{}: kept v{}, not v{} ({})", outcome.model, outcome.alias,
                              champion.version, challenger.version, outcome.decision.reason));
    }
    return OkStatus();
  }

  Status ListModels(RegistryStore& store, Console& console) {
    ASSIGN_OR_RETURN(std::vector<std::string> models, store.ListModels());
    Json json = Json::array();
    std::vector<TableRow> rows;
    for (const std::string& model : models) {
      ASSIGN_OR_RETURN(std::vector<ModelVersion> versions, store.ListModelVersions(model));
      ASSIGN_OR_RETURN(auto aliases, store.Aliases(model));
      const ModelVersion& latest = versions.front();
      Json item;
      item["model"] = model;
      item["versions"] = versions.size();
      item["latest"] = ModelVersionToJson(latest);
      item["aliases"] = Json::object();
      std::string alias_text;
      for (const auto& [alias, version] : aliases) {
        item["aliases"][alias] = version;
        alias_text += fmt::format("{}{}=v{}", alias_text.empty() ? "" : ",", alias, version);
      }
      json.push_back(std::move(item));
      rows.push_back({model, fmt::format("v{}", latest.version),
                      latest.experiment_tag.empty() ? "-" : latest.experiment_tag,
                      FormatTimestampShort(latest.created_at_ms),
                      alias_text.empty() ? "-" : alias_text});
    }
    if (json_) {
      console.Out(json.dump(2));
    } else if (rows.empty()) {
      console.Note("No models yet: declare them in conveyor.yaml and run 'conveyor repro'.");
    } else {
      console.Out(FormatTextTable({"Model", "Latest", "Experiment", "Created", "Aliases"}, rows));
    }
    return OkStatus();
  }

  Status ListVersions(RegistryStore& store, Console& console) {
    ASSIGN_OR_RETURN(std::vector<ModelVersion> versions, store.ListModelVersions(list_model_));
    Json json = Json::array();
    std::vector<TableRow> rows;
    for (const ModelVersion& version : versions) {
      json.push_back(ModelVersionToJson(version));
      rows.push_back({fmt::format("v{}", version.version),
                      version.experiment_tag.empty() ? "-" : version.experiment_tag,
                      FormatTimestampShort(version.created_at_ms), version.md5.substr(0, 12),
                      JoinAliases(version.aliases)});
    }
    console.Out(
        json_ ? json.dump(2)
              : FormatTextTable({"Version", "Experiment", "Created", "Hash", "Aliases"}, rows));
    return OkStatus();
  }

  Status Show(RegistryStore& store, Console& console) {
    ASSIGN_OR_RETURN(ModelVersion version, ResolveModelRef(store, ref_));
    ASSIGN_OR_RETURN(std::vector<AliasEvent> history, store.AliasHistory(version.model));
    if (json_) {
      Json json = ModelVersionToJson(version);
      json["alias_history"] = Json::array();
      for (const AliasEvent& event : history)
        json["alias_history"].push_back(AliasEventToJson(event));
      console.Out(json.dump(2));
      return OkStatus();
    }
    std::string text = fmt::format(
        "Model:       {} v{}\nAliases:     {}\nExperiment:  {}\nPath:        {}\n"
        "Hash:        {}\nSpec:        {}\nCreated:     {} by {}\n",
        version.model, version.version, JoinAliases(version.aliases),
        version.experiment_tag.empty() ? "-" : version.experiment_tag, version.path, version.md5,
        version.spec_path.empty() ? "-" : version.spec_path,
        FormatTimestampShort(version.created_at_ms),
        version.created_by.empty() ? "-" : version.created_by);
    if (!version.description.empty())
      text += fmt::format("Description: {}\n", version.description);
    if (!history.empty()) {
      std::vector<TableRow> rows;
      rows.reserve(history.size());
      for (const AliasEvent& event : history) {
        rows.push_back({FormatTimestampShort(event.at_ms), event.alias,
                        event.previous_version ? fmt::format("v{}", event.previous_version) : "-",
                        event.version ? fmt::format("v{}", event.version) : "(removed)",
                        event.actor, event.reason.empty() ? "-" : event.reason});
      }
      text += "\nAlias history:\n" +
              FormatTextTable({"When", "Alias", "From", "To", "Who", "Why"}, rows);
    }
    console.Out(text);
    return OkStatus();
  }

  Status Register(const OpenedRegistry& registry, const GlobalOptions& global, Console& console) {
    NewModelVersion model;
    model.model = name_;
    ASSIGN_OR_RETURN(model.path, registry.project.RelativePath(global.cwd, path_));
    ASSIGN_OR_RETURN(model.md5, OutputHash(registry.project, model.path));
    if (!spec_.empty()) {
      ASSIGN_OR_RETURN(model.spec_path, registry.project.RelativePath(global.cwd, spec_));
    } else if (model.md5.ends_with(".dir")) {
      model.spec_path = model.path + "/model.yaml";
    }
    model.description = description_;
    model.created_by = CurrentActor();
    ASSIGN_OR_RETURN(ModelVersion version, registry.store->RegisterModelVersion(model));
    console.Out(json_ ? ModelVersionToJson(version).dump(2)
                      : fmt::format("Registered {} v{} ({})", version.model, version.version,
                                    version.path));
    return OkStatus();
  }

  CLI::App* list_ = nullptr;
  CLI::App* show_ = nullptr;
  CLI::App* register_ = nullptr;
  CLI::App* promote_ = nullptr;
  CLI::App* demote_ = nullptr;
  std::string registry_;
  bool json_ = false;
  std::string list_model_;
  std::string ref_;
  std::string name_;
  std::string path_;
  std::string spec_;
  std::string description_;
  std::string alias_;
  std::string reason_;
  std::string if_better_;
  std::vector<std::string> evaluate_on_;
  bool lower_is_better_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeModelCommand() { return std::make_unique<ModelCommand>(); }

}  // namespace conveyor::cli
