// Promotion gates: whether a challenger model version may take an alias
// (normally `production`) from the version holding it, judged on one metric
// of the experiments that produced them (`conveyor model promote NAME@TAG
// production --if-better METRIC[:MIN_DELTA]`).
//
// The rule: with `improvement` = challenger - champion (or champion -
// challenger when lower is better), promote when improvement > 0 and
// improvement >= min_delta. An alias nobody holds yet is taken by any
// challenger with a value. A tie never promotes. The challenger already
// holding the alias is "kept". Values that cannot be compared (absent, not a
// number, NaN or infinite) are errors, never a silent promotion.
//
// Thread safety: pure functions.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "registry/registry_store.h"

namespace conveyor {

struct GateSpec {
  // A flattened metric key ("accuracy", "eval.f1"), optionally qualified by
  // its metrics file ("metrics.json:accuracy") when several files have it.
  std::string file;  // empty: any file
  std::string key;
  double min_delta = 0;  // >= 0
  bool lower_is_better = false;

  // "metrics.json:accuracy" or "accuracy": the metric, without the margin.
  std::string Metric() const;
  // "metrics.json:accuracy:0.01", as the user would type it back.
  std::string ToString() const;
};

// Parses METRIC[:MIN_DELTA], where METRIC is KEY or FILE:KEY. The part after
// the last ':' is the margin when it reads as a number. kUsage naming the
// text for an empty key, or a margin that is negative, NaN or infinite.
Result<GateSpec> ParseGateSpec(std::string_view text, bool lower_is_better);

// The value of `spec`'s metric in `metrics` (ExperimentRecord::metrics:
// {"file": {"key": value}}). nullopt when no file has the key; kInvalid when
// several files have it with different values (naming them: qualify the
// metric with its file), or when the value is not a finite number.
Result<std::optional<double>> FindMetric(const nlohmann::ordered_json& metrics,
                                         const GateSpec& spec);

// One side of the comparison.
struct Contender {
  int version = 0;              // 0: nobody holds the alias (champion only)
  std::optional<double> value;  // the metric, when its experiment had it
  std::string experiment;       // the experiment's tag, for messages; may be empty
};

struct GateDecision {
  bool promote = false;
  // One line for people and the alias history, with both values:
  // "accuracy 0.951 beats 0.940 by 0.011 (needed 0.005)".
  std::string reason;
};

// Applies the rule above. kInvalid (naming the version) when the challenger
// has no value, or a champion holding the alias has none.
Result<GateDecision> DecidePromotion(const GateSpec& spec, std::string_view model,
                                     std::string_view alias, const Contender& challenger,
                                     const Contender& champion);

// What PromoteIfBetter did.
struct PromotionOutcome {
  std::string model;
  std::string alias;
  Contender challenger;
  Contender champion;  // version 0: the alias was not set
  GateDecision decision;
};

// Where the contenders' values come from instead of their experiments'
// metrics: each version scored on the same data (`--evaluate-on FILE`).
struct VersionScorer {
  std::string source;  // what was scored on, for the reason: "data/x.samples (200 rows)"
  std::function<Result<double>(const ModelVersion&)> score;
};

// Resolves `ref` (model_ref.h), reads the metric of the experiments that
// produced it and the version holding `alias` (or, with `scorer`, scores
// both), decides, and records the
// decision in the alias history either way: a promotion moves the alias
// (SetAliasIf, so kConflict if someone moved it meanwhile); a refusal is
// recorded as an event that leaves the alias where it was (version ==
// previous_version), with both values in its reason. `note`, when given,
// is appended to the reason. Nothing is recorded when the challenger already
// holds the alias, or on an error.
Result<PromotionOutcome> PromoteIfBetter(RegistryStore& store, std::string_view ref,
                                         std::string_view alias, const GateSpec& spec,
                                         std::string_view actor, std::string_view note,
                                         const VersionScorer* scorer = nullptr);

}  // namespace conveyor
