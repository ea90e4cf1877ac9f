#include "serving/feedback_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace conveyor::serving {

namespace {

using Json = nlohmann::json;

struct Item {
  std::string request_id;
  size_t row = 0;
  std::string label;
};

// The item at `index` (for messages; -1 for a single object), checked
// against the model's `labels`.
Result<Item> ParseItem(const Json& value, int index, const std::vector<std::string>& labels) {
  std::string where = index < 0 ? std::string("body") : fmt::format("item {}", index);
  if (!value.is_object())
    return Error(Code::kInvalid, "{}: expected an object with request_id and label", where);
  Item item;
  auto id = value.find("request_id");
  if (id == value.end() || !id->is_string() || id->get_ref<const std::string&>().empty() ||
      id->get_ref<const std::string&>().size() > 200) {
    return Error(Code::kInvalid,
                 "{}: request_id must be a non-empty string of at most 200 "
                 "characters (the request_id a prediction answered with)",
                 where);
  }
  item.request_id = id->get<std::string>();
  auto label = value.find("label");
  if (label != value.end() && label->is_string()) {
    item.label = label->get<std::string>();
  } else if (label != value.end() && label->is_number_integer()) {
    item.label = std::to_string(label->get<int64_t>());
  } else {
    return Error(Code::kInvalid, "{}: label must be a string or an integer", where);
  }
  if (std::find(labels.begin(), labels.end(), item.label) == labels.end()) {
    std::string known;
    for (size_t i = 0; i < labels.size() && i < 20; ++i)
      known += (i == 0 ? "" : ", ") + labels[i];
    return Error(Code::kInvalid, "{}: label '{}' is not one of the model's labels ({}{})", where,
                 item.label.size() > 64 ? item.label.substr(0, 64) + "…" : item.label, known,
                 labels.size() > 20 ? ", …" : "");
  }
  if (auto row = value.find("row"); row != value.end()) {
    if (!row->is_number_unsigned())
      return Error(Code::kInvalid, "{}: row must be a whole number of 0 or more", where);
    item.row = row->get<size_t>();
  }
  for (const auto& [key, unused] : value.items()) {
    if (key != "request_id" && key != "label" && key != "row")
      return Error(Code::kInvalid, "{}: unknown field '{}'", where, key.substr(0, 64));
  }
  return item;
}

}  // namespace

Status FeedbackService::AddRoutes(Router& router) {
  return router.Add("POST", "/feedback", "feedback", [this](HttpRequest& r) { return Handle(r); });
}

HttpResponse FeedbackService::Handle(const HttpRequest& request) {
  std::shared_ptr<const ServedModel> model = manager_.Current();
  if (model == nullptr)
    return JsonError(503, "not_ready", "no model is loaded yet");
  Json body = Json::parse(request.body, nullptr, false);
  if (body.is_discarded())
    return JsonError(400, "invalid_json", "the body is not JSON");
  const std::vector<std::string>& labels = model->spec().labels;
  std::vector<Item> items;
  if (body.is_array()) {
    if (body.empty() || body.size() > kMaxFeedbackItems) {
      return JsonError(
          422, "invalid_feedback",
          fmt::format("a batch holds 1 to {} items, not {}", kMaxFeedbackItems, body.size()));
    }
    items.reserve(body.size());
    for (size_t i = 0; i < body.size(); ++i) {
      Result<Item> item = ParseItem(body[i], static_cast<int>(i), labels);
      if (!item.ok())
        return JsonError(422, "invalid_feedback", item.status().message());
      items.push_back(std::move(*item));
    }
  } else {
    Result<Item> item = ParseItem(body, -1, labels);
    if (!item.ok())
      return JsonError(422, "invalid_feedback", item.status().message());
    items.push_back(std::move(*item));
  }

  std::map<FeedbackOutcome, size_t> counts;
  Json results = Json::array();
  for (const Item& item : items) {
    FeedbackResult result = tracker_.AddFeedback(item.request_id, item.row, item.label);
    if (log_ != nullptr)
      log_->OnFeedback(item.request_id, item.row, item.label, result);
    ++counts[result.outcome];
    Json entry;
    entry["request_id"] = item.request_id;
    entry["row"] = item.row;
    entry["outcome"] = FeedbackOutcomeName(result.outcome);
    entry["predicted"] = result.predicted.empty() ? Json(nullptr) : Json(result.predicted);
    entry["model_version"] = result.model_version == 0 ? Json(nullptr) : Json(result.model_version);
    results.push_back(std::move(entry));
  }
  Json answer;
  answer["accepted"] = counts[FeedbackOutcome::kCorrect] + counts[FeedbackOutcome::kWrong];
  for (FeedbackOutcome outcome : {FeedbackOutcome::kCorrect, FeedbackOutcome::kWrong,
                                  FeedbackOutcome::kUnknownRequest, FeedbackOutcome::kDuplicate})
    answer[std::string(FeedbackOutcomeName(outcome))] = counts[outcome];
  answer["results"] = std::move(results);
  return JsonResponse(answer.dump());
}

}  // namespace conveyor::serving
