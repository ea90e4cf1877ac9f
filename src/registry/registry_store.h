// The metadata store: experiments (one per pipeline run, with params,
// metrics and lineage), model versions (numbered per model name, each
// pointing at a content-addressed object in the cache) and aliases
// (`production`, `staging`, any name) with the history of who moved them.
//
// One interface, two implementations: SQLite (embedded, a file in the
// project; sqlite_store.h) and PostgreSQL (shared by a team and by several
// server replicas; postgres_store.h). Both keep a `schema_version` and
// migrate forward on open; a store whose schema is newer than this build
// understands is refused (kConflict) and left untouched.
//
// Guarantees: each call that writes is one transaction — an experiment and
// the model versions it produced land together or not at all; version
// numbers and experiment tags are unique even with concurrent writers (two
// `repro`s at once, a server reading while the CLI writes).
//
// Errors: kNotFound (no such experiment, model, version or alias),
// kInvalid (bad name, tag or reference), kAlreadyExists (a name already
// taken), kUnavailable (database locked past the timeout, or unreachable),
// kConflict (schema newer than this build), kIo (the file cannot be opened).
//
// Thread safety: one RegistryStore per thread. Separate stores (in one
// process or several) may use the same database concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace conveyor {

enum class ExperimentStatus { kSucceeded, kFailed };
std::string_view ExperimentStatusName(ExperimentStatus status);  // "succeeded" / "failed"

// One file a stage read or wrote, as dvc.lock recorded it.
struct LineageEntry {
  std::string stage;    // stage address ("train", "sub/dvc.yaml:train")
  std::string role;     // "dep" or "out"
  std::string path;     // project-relative
  std::string md5;      // DVC 3 hash; "<hex>.dir" for a directory
  int64_t size = -1;    // bytes, -1 when unknown
  int64_t nfiles = -1;  // files in a directory, -1 for a file

  bool operator==(const LineageEntry&) const = default;
};

struct ExperimentRecord {
  int64_t id = 0;  // assigned by the store
  // Unique in the store. The caller proposes one (short commit SHA, a
  // `-n` name, or "workspace" outside Git); AddExperiment keeps it when it
  // is free and otherwise appends ".2", ".3", … — except for an explicit
  // name (`named` true), which must be free (kAlreadyExists).
  std::string tag;
  bool named = false;
  std::string commit;  // 40 hex digits; empty outside Git
  std::string branch;  // empty when detached or outside Git
  std::string author;  // "Name <email>" of the commit; empty outside Git
  bool dirty = false;  // the work tree differed from the commit
  ExperimentStatus status = ExperimentStatus::kSucceeded;
  int64_t started_at_ms = 0;  // Unix time, milliseconds, UTC
  int64_t finished_at_ms = 0;
  // {"params.yaml": {"train.max_depth": 6, ...}, ...}: the values used,
  // flattened to dotted keys per file.
  nlohmann::ordered_json params = nlohmann::ordered_json::object();
  // {"metrics.json": {"accuracy": 0.94, ...}, ...}: flattened likewise.
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
  std::vector<LineageEntry> lineage;
  std::string message;  // free text: the failing stage's error, a note
};

// A model output of an experiment, to become the next version of `model`.
struct NewModelVersion {
  std::string model;        // name: [A-Za-z0-9][A-Za-z0-9._-]{0,127}
  std::string path;         // project-relative output path
  std::string md5;          // its hash in the cache ("<hex>.dir" for a directory)
  std::string spec_path;    // the model spec, relative to the project ("model/model.yaml")
  std::string description;  // free text
  std::string created_by;   // who registered it (user name, token name)
};

struct ModelVersion {
  std::string model;
  int version = 0;  // 1, 2, … per model
  std::optional<int64_t>
      experiment_id;           // unset when registered by hand or the experiment was removed
  std::string experiment_tag;  // empty likewise
  std::string path;
  std::string md5;
  std::string spec_path;
  std::string description;
  std::string created_by;
  int64_t created_at_ms = 0;
  std::vector<std::string> aliases;  // the aliases pointing here now, sorted
};

// One move of an alias: set (version > 0) or removed (version == 0).
struct AliasEvent {
  std::string model;
  std::string alias;
  int version = 0;           // 0: the alias was removed
  int previous_version = 0;  // 0: the alias was new
  std::string actor;
  std::string reason;  // free text ("promoted: accuracy 0.95 > 0.94")
  int64_t at_ms = 0;
};

struct ExperimentQuery {
  int64_t limit = -1;  // -1: all
  int64_t offset = 0;
  bool oldest_first = false;  // default: newest first (by id)
};

class RegistryStore {
 public:
  virtual ~RegistryStore() = default;

  // A display form of where the store lives ("sqlite:/p/.conveyor/registry.db",
  // "postgresql://user@host:5432/db" — never a password).
  virtual std::string Describe() const = 0;

  // Records `record` and, in the same transaction, each of `models` as the
  // next version of its model linked to the new experiment. Returns the
  // stored record (id and final tag set) and the versions created.
  virtual Result<std::pair<ExperimentRecord, std::vector<ModelVersion>>> AddExperiment(
      ExperimentRecord record, const std::vector<NewModelVersion>& models) = 0;

  virtual Result<std::vector<ExperimentRecord>> ListExperiments(const ExperimentQuery& query) = 0;
  virtual Result<int64_t> CountExperiments() = 0;
  virtual Result<ExperimentRecord> GetExperiment(int64_t id) = 0;
  // Experiments whose tag equals `ref`, or — when none does — whose commit
  // starts with `ref` (at least 4 hex digits). Empty when nothing matches.
  virtual Result<std::vector<ExperimentRecord>> FindExperiments(std::string_view ref) = 0;
  // Deletes the experiments; their model versions stay, unlinked.
  // kNotFound (and no change) when any id does not exist.
  virtual Status RemoveExperiments(const std::vector<int64_t>& ids) = 0;

  // A model version not tied to an experiment (`conveyor model register`).
  virtual Result<ModelVersion> RegisterModelVersion(const NewModelVersion& model) = 0;
  // Model names, sorted.
  virtual Result<std::vector<std::string>> ListModels() = 0;
  // Versions of `model`, newest first. kNotFound for an unknown model.
  virtual Result<std::vector<ModelVersion>> ListModelVersions(std::string_view model) = 0;
  virtual Result<ModelVersion> GetModelVersion(std::string_view model, int version) = 0;

  // Points `alias` of `model` at `version` (which must exist). Returns the
  // event recorded.
  Result<AliasEvent> SetAlias(std::string_view model, std::string_view alias, int version,
                              std::string_view actor, std::string_view reason) {
    return MoveAlias(model, alias, version, std::nullopt, actor, reason);
  }
  // As SetAlias, but only while `alias` still points at version `expected`
  // (0: not set); otherwise kConflict, naming where it points now, and
  // nothing changes. A promotion gate that compared the challenger with the
  // holder of the alias moves it only if nobody moved it meanwhile.
  Result<AliasEvent> SetAliasIf(std::string_view model, std::string_view alias, int version,
                                int expected, std::string_view actor, std::string_view reason) {
    return MoveAlias(model, alias, version, expected, actor, reason);
  }
  // kNotFound when the alias is not set.
  virtual Result<AliasEvent> RemoveAlias(std::string_view model, std::string_view alias,
                                         std::string_view actor, std::string_view reason) = 0;
  // alias -> version, for one model. kNotFound for an unknown model.
  virtual Result<std::map<std::string, int>> Aliases(std::string_view model) = 0;
  // Every move of every alias of `model`, oldest first. kNotFound for an
  // unknown model.
  virtual Result<std::vector<AliasEvent>> AliasHistory(std::string_view model) = 0;

 protected:
  // SetAlias (`expected` unset) and SetAliasIf, in one transaction.
  virtual Result<AliasEvent> MoveAlias(std::string_view model, std::string_view alias, int version,
                                       std::optional<int> expected, std::string_view actor,
                                       std::string_view reason) = 0;
};

// Opens (creating and migrating as needed) the store at `url`:
//   sqlite:PATH, sqlite://PATH or a plain filesystem path → SQLite;
//   postgresql://… or postgres://… → PostgreSQL (libpq connection URI).
Result<std::unique_ptr<RegistryStore>> OpenRegistryStore(std::string_view url);

// Whether `url` names a PostgreSQL database (postgresql:// or postgres://).
bool IsPostgresUrl(std::string_view url);
// The file a SQLite location names: `url` without its sqlite: or sqlite://
// prefix (a plain path as it is).
std::string_view SqlitePathOf(std::string_view url);

// Names of models and aliases: [A-Za-z0-9][A-Za-z0-9._-]{0,127}; when
// `what` is "alias", also neither all digits (those are version numbers)
// nor "latest" (NAME@latest). kInvalid naming `what` ("model name",
// "alias") otherwise.
Status ValidateRegistryName(std::string_view what, std::string_view name);

// Experiment tags, as proposed to AddExperiment and used in NAME@TAG:
// [A-Za-z0-9][A-Za-z0-9._-]{0,127} (digits alone allowed: a short SHA may be
// all digits). kInvalid naming the tag otherwise.
Status ValidateExperimentTag(std::string_view tag);

}  // namespace conveyor
