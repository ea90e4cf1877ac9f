#include "registry/promotion_gate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "registry/model_ref.h"

namespace conveyor {

namespace {

// `text` as a finite double when the whole of it is one.
std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty())
    return std::nullopt;
  std::string copy(text);
  char* end = nullptr;
  double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size())
    return std::nullopt;
  return value;
}

std::string Describe(std::string_view model, const Contender& side) {
  std::string text = fmt::format("{} v{}", model, side.version);
  if (!side.experiment.empty())
    text += fmt::format(" (experiment {})", side.experiment);
  return text;
}

// A metric value or a difference of two, to six significant digits, for
// messages: an accuracy over held-out rows (0.9198012775017743) or a
// difference (0.95 - 0.94 is 0.010000000000000009) in full is noise. The
// decision itself compares the exact values.
std::string Number(double value) { return fmt::format("{:.6g}", value); }

// Whether `improvement` reaches `min_delta`, forgiving the rounding of the
// subtraction that produced it (relative to the values compared), so that
// 0.95 against 0.94 passes a margin of 0.01.
bool Reaches(double improvement, double min_delta, double a, double b) {
  double slack = 1e-12 * std::max({1.0, std::fabs(a), std::fabs(b)});
  return improvement + slack >= min_delta;
}

}  // namespace

std::string GateSpec::Metric() const { return file.empty() ? key : file + ":" + key; }

std::string GateSpec::ToString() const {
  std::string text = Metric();
  if (min_delta != 0)
    text += fmt::format(":{}", min_delta);  // as given: exact
  return text;
}

Result<GateSpec> ParseGateSpec(std::string_view text, bool lower_is_better) {
  GateSpec spec;
  spec.lower_is_better = lower_is_better;
  std::string_view metric = text;
  size_t colon = text.rfind(':');
  if (colon != std::string_view::npos) {
    std::string_view tail = text.substr(colon + 1);
    std::optional<double> delta = ParseNumber(tail);
    if (delta.has_value()) {
      if (!std::isfinite(*delta) || *delta < 0) {
        return Error(Code::kUsage,
                     "--if-better '{}': the margin '{}' must be a finite number of 0 or more", text,
                     tail);
      }
      spec.min_delta = *delta;
      metric = text.substr(0, colon);
    }
  }
  size_t split = metric.rfind(':');
  if (split != std::string_view::npos) {
    spec.file = std::string(metric.substr(0, split));
    metric = metric.substr(split + 1);
    if (spec.file.empty())
      return Error(Code::kUsage, "--if-better '{}': the metrics file before ':' is empty", text);
  }
  spec.key = std::string(metric);
  if (spec.key.empty()) {
    return Error(Code::kUsage,
                 "--if-better '{}': no metric named (expected METRIC, METRIC:MIN_DELTA or "
                 "FILE:METRIC:MIN_DELTA, e.g. accuracy:0.005)",
                 text);
  }
  return spec;
}

Result<std::optional<double>> FindMetric(const nlohmann::ordered_json& metrics,
                                         const GateSpec& spec) {
  std::optional<double> found;
  std::string found_in;
  if (!metrics.is_object())
    return found;
  for (const auto& [file, values] : metrics.items()) {
    if (!spec.file.empty() && file != spec.file)
      continue;
    if (!values.is_object() || !values.contains(spec.key))
      continue;
    const nlohmann::ordered_json& value = values.at(spec.key);
    if (!value.is_number() || !std::isfinite(value.get<double>())) {
      return Error(Code::kInvalid, "metric '{}' in {} is {}, not a finite number", spec.key, file,
                   value.dump());
    }
    double number = value.get<double>();
    if (found.has_value() && *found != number) {
      return Error(Code::kInvalid,
                   "metric '{}' is {} in {} and {} in {}: name the file, e.g. --if-better {}:{}",
                   spec.key, Number(*found), found_in, Number(number), file, found_in, spec.key);
    }
    found = number;
    found_in = file;
  }
  return found;
}

Result<GateDecision> DecidePromotion(const GateSpec& spec, std::string_view model,
                                     std::string_view alias, const Contender& challenger,
                                     const Contender& champion) {
  const std::string metric = spec.Metric();
  if (!challenger.value.has_value()) {
    return Error(Code::kInvalid, "cannot compare on '{}': {} has no such metric", metric,
                 Describe(model, challenger));
  }
  double value = *challenger.value;
  if (champion.version == 0) {
    return GateDecision{
        true, fmt::format("{} {}; {}@{} was not set", metric, Number(value), model, alias)};
  }
  if (champion.version == challenger.version) {
    return GateDecision{false,
                        fmt::format("v{} already holds {}@{}", challenger.version, model, alias)};
  }
  if (!champion.value.has_value()) {
    return Error(Code::kInvalid,
                 "cannot compare on '{}': {}, which holds {}@{}, has no such metric (promote "
                 "without --if-better to replace it anyway)",
                 metric, Describe(model, champion), model, alias);
  }
  double held = *champion.value;
  double improvement = spec.lower_is_better ? held - value : value - held;
  const char* direction = spec.lower_is_better ? "lower" : "higher";
  if (improvement > 0 && Reaches(improvement, spec.min_delta, value, held)) {
    std::string reason =
        fmt::format("{} {} beats v{}'s {} by {} ({} is better", metric, Number(value),
                    champion.version, Number(held), Number(improvement), direction);
    reason += spec.min_delta > 0 ? fmt::format("; needed {})", Number(spec.min_delta)) : ")";
    return GateDecision{true, reason};
  }
  std::string reason;
  if (improvement > 0) {
    reason = fmt::format("{} {} beats v{}'s {} by only {}, less than the {} needed", metric,
                         Number(value), champion.version, Number(held), Number(improvement),
                         Number(spec.min_delta));
  } else if (improvement == 0) {
    reason = fmt::format("{} {} ties with v{}'s {}", metric, Number(value), champion.version,
                         Number(held));
  } else {
    reason = fmt::format("{} {} is worse than v{}'s {} ({} is better)", metric, Number(value),
                         champion.version, Number(held), direction);
  }
  return GateDecision{false, reason};
}

namespace {

// The version's side of the comparison: its experiment's value of the metric.
Result<Contender> ContenderFor(RegistryStore& store, const ModelVersion& version,
                               const GateSpec& spec, const VersionScorer* scorer) {
  Contender side{version.version, std::nullopt, version.experiment_tag};
  if (scorer != nullptr) {
    Result<double> value = scorer->score(version);
    if (!value.ok()) {
      return value.status().WithContext(
          fmt::format("scoring {} v{} on {}", version.model, version.version, scorer->source));
    }
    side.value = *value;
    return side;
  }
  if (!version.experiment_id.has_value())
    return side;  // registered by hand: no metrics
  ASSIGN_OR_RETURN(ExperimentRecord experiment, store.GetExperiment(*version.experiment_id));
  Result<std::optional<double>> value = FindMetric(experiment.metrics, spec);
  if (!value.ok()) {
    return value.status().WithContext(
        fmt::format("{} v{} (experiment {})", version.model, version.version, experiment.tag));
  }
  side.value = *value;
  return side;
}

}  // namespace

Result<PromotionOutcome> PromoteIfBetter(RegistryStore& store, std::string_view ref,
                                         std::string_view alias, const GateSpec& spec,
                                         std::string_view actor, std::string_view note,
                                         const VersionScorer* scorer) {
  RETURN_IF_ERROR(ValidateRegistryName("alias", alias));
  ASSIGN_OR_RETURN(ModelVersion version, ResolveModelRef(store, ref));
  PromotionOutcome outcome;
  outcome.model = version.model;
  outcome.alias = std::string(alias);
  ASSIGN_OR_RETURN(outcome.challenger, ContenderFor(store, version, spec, scorer));
  Result<int> held = AliasVersion(store, version.model, alias);
  if (held.ok()) {
    ASSIGN_OR_RETURN(ModelVersion holder, store.GetModelVersion(version.model, *held));
    ASSIGN_OR_RETURN(outcome.champion, ContenderFor(store, holder, spec, scorer));
  } else if (held.status().code() != Code::kNotFound) {
    return held.status();
  }
  ASSIGN_OR_RETURN(outcome.decision, DecidePromotion(spec, outcome.model, outcome.alias,
                                                     outcome.challenger, outcome.champion));
  if (outcome.champion.version == outcome.challenger.version)
    return outcome;
  std::string reason = fmt::format("{} (--if-better {}", outcome.decision.reason, spec.ToString());
  reason += spec.lower_is_better ? ", lower is better" : "";
  reason += scorer != nullptr ? fmt::format(", both scored on {})", scorer->source) : ")";
  if (!note.empty())
    reason += fmt::format(": {}", note);
  if (outcome.decision.promote) {
    RETURN_IF_ERROR(store
                        .SetAliasIf(outcome.model, alias, outcome.challenger.version,
                                    outcome.champion.version, actor, "promoted: " + reason)
                        .status());
  } else {
    RETURN_IF_ERROR(
        store
            .SetAliasIf(outcome.model, alias, outcome.champion.version, outcome.champion.version,
                        actor, fmt::format("kept over v{}: {}", outcome.challenger.version, reason))
            .status());
  }
  return outcome;
}

}  // namespace conveyor
