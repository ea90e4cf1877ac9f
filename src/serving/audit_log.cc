#include "serving/audit_log.h"

#include <memory>
#include <nlohmann/json.hpp>

#include "common/utc_time.h"
#include "serving/token_store.h"

namespace conveyor::serving {

namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kMaxRequestName = 128;

Json IdentityJson(const std::optional<ModelIdentity>& identity) {
  if (!identity)
    return nullptr;
  Json json;
  json["name"] = identity->name;
  json["version"] = identity->version;
  json["tag"] = identity->experiment_tag.empty() ? Json(nullptr) : Json(identity->experiment_tag);
  return json;
}

std::optional<ModelIdentity> Serving(const ModelManager& manager) {
  std::shared_ptr<const ServedModel> model = manager.Current();
  if (model == nullptr)
    return std::nullopt;
  return model->identity();
}

// The request's values for `key`: the query's, and the JSON body's when it is
// an object holding a string there.
std::vector<std::string> RequestValues(const HttpRequest& request, const Json& body,
                                       std::string_view key) {
  std::vector<std::string> values;
  if (auto it = request.query.find(std::string(key)); it != request.query.end())
    values.push_back(it->second);
  if (body.is_object()) {
    auto it = body.find(key);
    if (it != body.end() && it->is_string())
      values.push_back(it->get<std::string>());
  }
  return values;
}

std::string ErrorMessage(const HttpResponse& response) {
  Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("error") && body["error"].is_object() &&
      body["error"].contains("message") && body["error"]["message"].is_string()) {
    return body["error"]["message"].get<std::string>();
  }
  return response.error_kind;
}

}  // namespace

std::string FormatAuditLine(const AuditEvent& event) {
  Json line;
  line["ts"] = FormatUtcMillis(
      std::chrono::duration_cast<std::chrono::milliseconds>(event.time.time_since_epoch()).count());
  line["type"] = "audit";
  line["action"] = event.action;
  line["principal"] = event.principal;
  line["outcome"] = event.outcome;
  line["status"] = event.status;
  line["requested"] = event.requested.empty() ? Json(nullptr) : Json(event.requested);
  line["from"] = IdentityJson(event.from);
  line["to"] = IdentityJson(event.to);
  if (!event.error.empty())
    line["error"] = event.error;
  line["request_id"] = event.request_id;
  line["remote"] = event.remote;
  return line.dump(-1, ' ', false, Json::error_handler_t::replace);
}

AuditLog::AuditLog(std::ostream& out)
    : sink_([&out](std::string_view line) { out.write(line.data(), line.size()).flush(); }) {}

void AuditLog::Record(const AuditEvent& event) {
  std::string line = FormatAuditLine(event);
  line.push_back('\n');
  std::lock_guard lock(mu_);
  sink_(line);
}

Status ValidateRequestName(std::string_view field, std::string_view value) {
  if (value.empty())
    return Error(Code::kInvalid, "{}: must not be empty", field);
  if (value.size() > kMaxRequestName)
    return Error(Code::kInvalid, "{}: longer than {} characters", field, kMaxRequestName);
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return Error(Code::kInvalid, "{}: must not contain control characters", field);
    if (c == '/' || c == '\\')
      return Error(Code::kInvalid, "{}: must not contain '/' or '\\' (a name, not a path)", field);
  }
  if (value.find("..") != std::string_view::npos)
    return Error(Code::kInvalid, "{}: must not contain '..'", field);
  return OkStatus();
}

Status AuditReplaceRoute(Router& router, const ModelManager& manager, AuditLog& log) {
  auto serialise = std::make_shared<std::mutex>();
  return router.Wrap("replace_ml_model", [&manager, &log, serialise](Handler inner) -> Handler {
    return [&manager, &log, serialise, inner = std::move(inner)](HttpRequest& request) {
      AuditEvent event;
      event.time = std::chrono::system_clock::now();
      event.action = "replace_ml_model";
      event.principal = request.principal.empty() ? kAnonymous : request.principal;
      event.request_id = request.request_id;
      event.remote = request.remote;
      Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
      for (std::string_view field : {"tag", "name"}) {
        for (const std::string& value : RequestValues(request, body, field)) {
          if (Status valid = ValidateRequestName(field, value); !valid.ok()) {
            HttpResponse response = JsonError(422, "invalid_tag", valid.message());
            event.outcome = "rejected";
            event.status = response.status;
            event.error = valid.message();
            event.from = event.to = Serving(manager);
            log.Record(event);
            return response;
          }
        }
      }
      if (std::vector<std::string> tags = RequestValues(request, body, "tag"); !tags.empty())
        event.requested = tags.front();
      std::lock_guard lock(*serialise);
      event.from = Serving(manager);
      HttpResponse response;
      try {
        response = inner(request);
      } catch (...) {
        event.to = Serving(manager);
        event.outcome = "failed";
        event.status = 500;
        event.error = "the handler threw (see the error log)";
        log.Record(event);
        throw;  // the server answers 500 and logs why
      }
      event.to = Serving(manager);
      event.status = response.status;
      event.outcome = response.status >= 200 && response.status < 300 ? "ok" : "failed";
      if (event.outcome != "ok")
        event.error = ErrorMessage(response);
      log.Record(event);
      return response;
    };
  });
}

}  // namespace conveyor::serving
