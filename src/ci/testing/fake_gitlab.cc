#include "ci/testing/fake_gitlab.h"

#include <fmt/format.h>

#include <charconv>

#include "serving/multipart.h"

namespace conveyor::ci::testing {

using serving::HttpRequest;
using serving::HttpResponse;

FakeGitLab::FakeGitLab(std::string project_id, const std::vector<int64_t>& mr_iids,
                       std::string token)
    : project_id_(std::move(project_id)), token_(std::move(token)) {
  for (int64_t iid : mr_iids) {
    notes_[iid];
  }
}

void FakeGitLab::set_page_size(size_t size) {
  std::lock_guard lock(mu_);
  page_size_ = size;
}

void FakeGitLab::set_link_header(bool on) {
  std::lock_guard lock(mu_);
  link_header_ = on;
}

int64_t FakeGitLab::AddNote(int64_t iid, std::string body, bool system) {
  std::lock_guard lock(mu_);
  notes_[iid].push_back({next_id_, std::move(body), system});
  return next_id_++;
}

int64_t FakeGitLab::AddCommitNote(const std::string& sha, std::string body) {
  std::lock_guard lock(mu_);
  std::vector<FakeDiscussion>& list = discussions_[sha];
  list.push_back({fmt::format("d{:038x}", next_id_), {{next_id_, std::move(body), false}}});
  return next_id_++;
}

std::vector<FakeNote> FakeGitLab::notes(int64_t iid) const {
  std::lock_guard lock(mu_);
  auto it = notes_.find(iid);
  return it == notes_.end() ? std::vector<FakeNote>{} : it->second;
}

std::vector<FakeDiscussion> FakeGitLab::discussions(const std::string& sha) const {
  std::lock_guard lock(mu_);
  auto it = discussions_.find(sha);
  return it == discussions_.end() ? std::vector<FakeDiscussion>{} : it->second;
}

std::vector<FakeUpload> FakeGitLab::uploads() const {
  std::lock_guard lock(mu_);
  return uploads_;
}

nlohmann::json FakeGitLab::NoteJson(const FakeNote& note) {
  return {{"id", note.id},
          {"type", nullptr},
          {"body", note.body},
          {"system", note.system},
          {"author", {{"id", 1}, {"username", "bot"}}},
          {"noteable_type", "MergeRequest"}};
}

std::optional<HttpResponse> FakeGitLab::CheckHeaders(const HttpRequest& request) {
  // A pipeline trigger is authenticated by the token in its body.
  const bool trigger = request.path.ends_with("/trigger/pipeline");
  if (trigger && !request.Header("private-token").empty()) {
    return Violation(fmt::format("{} {}: PRIVATE-TOKEN sent with a trigger token", request.method,
                                 request.path));
  }
  if (!trigger && request.Header("private-token") != token_) {
    return Json(401, {{"message", "401 Unauthorized"}});
  }
  if (request.Header("user-agent").empty()) {
    return Violation(fmt::format("{} {}: no User-Agent", request.method, request.path));
  }
  if (!request.Header("authorization").empty()) {
    return Violation(fmt::format("{} {}: Authorization sent to GitLab (use PRIVATE-TOKEN)",
                                 request.method, request.path));
  }
  return std::nullopt;
}

std::optional<HttpResponse> FakeGitLab::CheckTarget(const HttpRequest& request,
                                                    bool merge_request) {
  if (request.path_params.at("id") != project_id_) {
    return Json(404, {{"message", "404 Project Not Found"}});
  }
  if (merge_request) {
    int64_t iid = 0;
    const std::string& text = request.path_params.at("iid");
    std::from_chars(text.data(), text.data() + text.size(), iid);
    if (!notes_.contains(iid)) {
      return Json(404, {{"message", "404 Not found"}});
    }
  }
  return std::nullopt;
}

HttpResponse FakeGitLab::Page(const HttpRequest& request, const nlohmann::json& items) {
  size_t page = 1;
  size_t per_page = 20;  // GitLab's default
  if (auto it = request.query.find("page"); it != request.query.end()) {
    page = std::stoul(it->second);
  }
  if (auto it = request.query.find("per_page"); it != request.query.end()) {
    per_page = std::stoul(it->second);
  }
  per_page = std::min(per_page, page_size_);
  nlohmann::json slice = nlohmann::json::array();
  for (size_t i = (page - 1) * per_page; i < items.size() && i < page * per_page; ++i) {
    slice.push_back(items[i]);
  }
  HttpResponse response = Json(200, slice);
  bool more = page * per_page < items.size();
  response.headers = {{"X-Page", std::to_string(page)},
                      {"X-Per-Page", std::to_string(per_page)},
                      {"X-Total", std::to_string(items.size())},
                      {"X-Next-Page", more ? std::to_string(page + 1) : ""}};
  if (more && link_header_) {
    auto link = [&](size_t n) {
      std::map<std::string, std::string> query = request.query;
      query["page"] = std::to_string(n);
      std::string text;
      for (const auto& [key, value] : query) {
        text += fmt::format("{}{}={}", text.empty() ? "?" : "&", key, value);
      }
      return base_url() + request.path + text;
    };
    response.headers.emplace_back(
        "Link", fmt::format("<{}>; rel=\"next\", <{}>; rel=\"first\"", link(page + 1), link(1)));
  }
  return response;
}

void FakeGitLab::set_trigger_token(std::string token) {
  std::lock_guard lock(mu_);
  trigger_token_ = std::move(token);
}

std::vector<FakeGitLab::Pipeline> FakeGitLab::pipelines() const {
  std::lock_guard lock(mu_);
  return pipelines_;
}

void FakeGitLab::AddRoutes() {
  Route(
      "POST", "/api/v4/projects/{id}/trigger/pipeline", "trigger_pipeline", [this](HttpRequest& r) {
        HttpResponse error;
        std::optional<nlohmann::json> body = JsonBody(r, error);
        if (!body)
          return error;
        if (r.path_params.at("id") != project_id_ || trigger_token_.empty() ||
            body->value("token", "") != trigger_token_) {
          return Json(404, {{"message", "404 Not Found"}});
        }
        if (!body->contains("ref") || !(*body)["ref"].is_string()) {
          return Json(400, {{"error", "ref is missing"}});
        }
        Pipeline pipeline{next_id_++, (*body)["ref"].get<std::string>(), {}};
        if (body->contains("variables")) {
          const nlohmann::json& variables = (*body)["variables"];
          if (!variables.is_object())
            return Violation("trigger/pipeline: variables is not an object");
          for (const auto& [key, value] : variables.items()) {
            if (!value.is_string())
              return Violation("trigger/pipeline: variable " + key + " is not a string");
            pipeline.variables[key] = value.get<std::string>();
          }
        }
        pipelines_.push_back(pipeline);
        return Json(201, {{"id", pipeline.id},
                          {"ref", pipeline.ref},
                          {"status", "created"},
                          {"web_url",
                           base_url() + "/group/app/-/pipelines/" + std::to_string(pipeline.id)}});
      });
  const std::string notes = "/api/v4/projects/{id}/merge_requests/{iid}/notes";
  Route("GET", notes, "list_mr_notes", [this](HttpRequest& r) {
    if (auto missing = CheckTarget(r, true)) {
      return *missing;
    }
    if (r.query.count("sort") == 0 || r.query.at("sort") != "asc") {
      return Violation("list_mr_notes: sort=asc missing (GitLab lists newest first by default)");
    }
    nlohmann::json items = nlohmann::json::array();
    for (const FakeNote& note : notes_[std::stoll(r.path_params.at("iid"))]) {
      items.push_back(NoteJson(note));
    }
    return Page(r, items);
  });
  Route("POST", notes, "create_mr_note", [this](HttpRequest& r) {
    if (auto missing = CheckTarget(r, true)) {
      return *missing;
    }
    HttpResponse error;
    std::optional<nlohmann::json> body = JsonBody(r, error);
    if (!body) {
      return error;
    }
    if (!body->contains("body") || !(*body)["body"].is_string()) {
      return Json(400, {{"error", "body is missing"}});
    }
    FakeNote note{next_id_++, (*body)["body"].get<std::string>(), false};
    notes_[std::stoll(r.path_params.at("iid"))].push_back(note);
    return Json(201, NoteJson(note));
  });
  Route("PUT", notes + "/{note_id}", "update_mr_note", [this](HttpRequest& r) {
    if (auto missing = CheckTarget(r, true)) {
      return *missing;
    }
    HttpResponse error;
    std::optional<nlohmann::json> body = JsonBody(r, error);
    if (!body) {
      return error;
    }
    if (!body->contains("body") || !(*body)["body"].is_string()) {
      return Json(400, {{"error", "body is missing"}});
    }
    for (FakeNote& note : notes_[std::stoll(r.path_params.at("iid"))]) {
      if (std::to_string(note.id) == r.path_params.at("note_id")) {
        note.body = (*body)["body"].get<std::string>();
        return Json(200, NoteJson(note));
      }
    }
    return Json(404, {{"message", "404 Note Not Found"}});
  });

  const std::string discussions = "/api/v4/projects/{id}/repository/commits/{sha}/discussions";
  auto discussion_json = [](const FakeDiscussion& d) {
    nlohmann::json notes = nlohmann::json::array();
    for (const FakeNote& note : d.notes) {
      notes.push_back(NoteJson(note));
    }
    return nlohmann::json{{"id", d.id}, {"individual_note", d.notes.size() == 1}, {"notes", notes}};
  };
  Route("GET", discussions, "list_commit_discussions", [this, discussion_json](HttpRequest& r) {
    if (auto missing = CheckTarget(r, false)) {
      return *missing;
    }
    nlohmann::json items = nlohmann::json::array();
    for (const FakeDiscussion& d : discussions_[r.path_params.at("sha")]) {
      items.push_back(discussion_json(d));
    }
    return Page(r, items);
  });
  Route("POST", discussions, "create_commit_discussion", [this, discussion_json](HttpRequest& r) {
    if (auto missing = CheckTarget(r, false)) {
      return *missing;
    }
    HttpResponse error;
    std::optional<nlohmann::json> body = JsonBody(r, error);
    if (!body) {
      return error;
    }
    if (!body->contains("body") || !(*body)["body"].is_string()) {
      return Json(400, {{"error", "body is missing"}});
    }
    FakeDiscussion d{fmt::format("d{:038x}", next_id_),
                     {{next_id_, (*body)["body"].get<std::string>(), false}}};
    ++next_id_;
    discussions_[r.path_params.at("sha")].push_back(d);
    return Json(201, discussion_json(d));
  });
  Route("PUT", discussions + "/{discussion_id}/notes/{note_id}", "update_commit_note",
        [this](HttpRequest& r) {
          if (auto missing = CheckTarget(r, false)) {
            return *missing;
          }
          HttpResponse error;
          std::optional<nlohmann::json> body = JsonBody(r, error);
          if (!body) {
            return error;
          }
          for (FakeDiscussion& d : discussions_[r.path_params.at("sha")]) {
            if (d.id != r.path_params.at("discussion_id")) {
              continue;
            }
            for (FakeNote& note : d.notes) {
              if (std::to_string(note.id) == r.path_params.at("note_id")) {
                note.body = (*body)["body"].get<std::string>();
                return Json(200, NoteJson(note));
              }
            }
          }
          return Json(404, {{"message", "404 Not found"}});
        });

  Route("POST", "/api/v4/projects/{id}/uploads", "upload", [this](HttpRequest& r) {
    if (auto missing = CheckTarget(r, false)) {
      return *missing;
    }
    Result<std::vector<serving::MultipartPart>> parts =
        serving::ParseMultipart(r.Header("content-type"), r.body);
    if (!parts.ok()) {
      return Violation("upload: " + parts.status().message());
    }
    if (parts->size() != 1 || (*parts)[0].name != "file" || !(*parts)[0].filename) {
      return Violation("upload: expected one part named \"file\" with a filename");
    }
    const serving::MultipartPart& part = (*parts)[0];
    FakeUpload upload{*part.filename, part.content_type, std::string(part.body),
                      fmt::format("/uploads/{:032x}/{}", next_id_++, *part.filename)};
    uploads_.push_back(upload);
    return Json(201, {{"id", uploads_.size()},
                      {"alt", upload.filename.substr(0, upload.filename.rfind('.'))},
                      {"url", upload.url},
                      {"full_path", "/-/project/" + project_id_ + upload.url},
                      {"markdown", fmt::format("![{}]({})", upload.filename, upload.url)}});
  });
}

}  // namespace conveyor::ci::testing
