#include "ci/gitlab_backend.h"

#include <fmt/format.h>

#include <random>

namespace conveyor::ci {

namespace {

std::string Body(std::string_view body) {
  return nlohmann::json{{"body", body}}.dump(-1, ' ', false,
                                             nlohmann::json::error_handler_t::replace);
}

std::string IdText(const nlohmann::json& id) {
  return id.is_string() ? id.get<std::string>() : id.dump();
}

bool IsMarked(const nlohmann::json& note, std::string_view marker) {
  if (!note.is_object() || note.value("system", false)) {
    return false;
  }
  auto body = note.find("body");
  return body != note.end() && body->is_string() &&
         std::string_view(body->get_ref<const std::string&>()).substr(0, marker.size()) == marker;
}

Result<int64_t> NoteId(const nlohmann::json& note, std::string_view what) {
  if (!note.is_object() || !note.contains("id") || !note["id"].is_number_integer()) {
    return Error(Code::kFailed, "GitLab's answer to {} has no note id", what);
  }
  return note["id"].get<int64_t>();
}

}  // namespace

std::string MultipartFileBody(std::string_view field, std::string_view filename,
                              std::string_view media_type, std::string_view data,
                              std::string& content_type) {
  std::random_device random;
  std::string boundary;
  do {
    boundary = fmt::format("conveyor-{:08x}{:08x}", random(), random());
  } while (data.find(boundary) != std::string_view::npos);
  content_type = "multipart/form-data; boundary=" + boundary;
  std::string quoted_name;
  for (char c : filename) {
    quoted_name += (c == '"' || c == '\\' || c == '\r' || c == '\n') ? '_' : c;
  }
  std::string body = fmt::format(
      "--{}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n"
      "Content-Type: {}\r\n\r\n",
      boundary, field, quoted_name, media_type);
  body.append(data);
  body += fmt::format("\r\n--{}--\r\n", boundary);
  return body;
}

std::string GitLabBackend::Target() const {
  const CiContext& ctx = api_.context();
  if (on_merge_request()) {
    return fmt::format("merge request !{}", ctx.change_number);
  }
  return fmt::format("commit {}", ctx.commit_sha.substr(0, 8));
}

std::string GitLabBackend::ProjectPath() const {
  return "/projects/" + EncodePathSegment(api_.context().project);
}

std::string GitLabBackend::NotFound() const {
  const CiContext& ctx = api_.context();
  if (on_merge_request()) {
    return fmt::format(
        "project {} (CI_PROJECT_ID) or its merge request !{} (CI_MERGE_REQUEST_IID) does not "
        "exist, or the token cannot see it",
        ctx.project, ctx.change_number);
  }
  return fmt::format(
      "project {} (CI_PROJECT_ID) or its commit {} (CI_COMMIT_SHA) does not exist, or the token "
      "cannot see it",
      ctx.project, ctx.commit_sha);
}

std::string GitLabBackend::Permission() const {
  return fmt::format("the api scope and at least the Reporter role in {}",
                     api_.context().project_path);
}

std::string GitLabBackend::WebUrl(int64_t note_id) const {
  const CiContext& ctx = api_.context();
  if (on_merge_request()) {
    return fmt::format("{}/{}/-/merge_requests/{}#note_{}", ctx.server_url, ctx.project_path,
                       ctx.change_number, note_id);
  }
  return fmt::format("{}/{}/-/commit/{}#note_{}", ctx.server_url, ctx.project_path, ctx.commit_sha,
                     note_id);
}

Result<std::string> GitLabBackend::UploadImage(const ReportImage& image) {
  ApiCall call;
  call.method = "POST";
  call.path = ProjectPath() + "/uploads";
  std::string filename = image.path.substr(image.path.rfind('/') + 1);
  call.body = MultipartFileBody("file", filename, "image/png", image.png, call.content_type);
  call.what = fmt::format("uploading image {}", image.path);
  call.not_found =
      fmt::format("project {} (CI_PROJECT_ID) does not exist, or the token cannot see it",
                  api_.context().project);
  call.permission = fmt::format("the api scope and permission to upload files to {}",
                                api_.context().project_path);
  ASSIGN_OR_RETURN(nlohmann::json answer, api_.SendJson(call));
  if (!answer.is_object() || !answer.contains("url") || !answer["url"].is_string()) {
    return Error(Code::kFailed, "GitLab's answer to uploading image {} has no \"url\"", image.path);
  }
  return answer["url"].get<std::string>();
}

Result<std::optional<CommentRef>> GitLabBackend::FindComment(std::string_view marker) {
  const CiContext& ctx = api_.context();
  ApiCall call;
  call.not_found = NotFound();
  call.permission = Permission();
  std::optional<CommentRef> found;
  if (on_merge_request()) {
    call.path = fmt::format("{}/merge_requests/{}/notes?sort=asc&order_by=created_at&per_page=100",
                            ProjectPath(), ctx.change_number);
    call.what = fmt::format("listing the notes of merge request !{}", ctx.change_number);
    ASSIGN_OR_RETURN(std::vector<nlohmann::json> notes, api_.GetAll(call));
    for (const nlohmann::json& note : notes) {
      if (IsMarked(note, marker) && note.contains("id")) {
        found = CommentRef{IdText(note["id"]), ""};
      }
    }
    return found;
  }
  call.path = fmt::format("{}/repository/commits/{}/discussions?per_page=100", ProjectPath(),
                          EncodePathSegment(ctx.commit_sha));
  call.what = fmt::format("listing the comments on commit {}", ctx.commit_sha.substr(0, 8));
  ASSIGN_OR_RETURN(std::vector<nlohmann::json> discussions, api_.GetAll(call));
  for (const nlohmann::json& discussion : discussions) {
    if (!discussion.is_object() || !discussion.contains("notes") ||
        !discussion["notes"].is_array() || !discussion.contains("id")) {
      continue;
    }
    for (const nlohmann::json& note : discussion["notes"]) {
      if (IsMarked(note, marker) && note.contains("id")) {
        found = CommentRef{IdText(note["id"]), IdText(discussion["id"])};
      }
    }
  }
  return found;
}

Result<std::string> GitLabBackend::Create(std::string_view body) {
  const CiContext& ctx = api_.context();
  ApiCall call;
  call.method = "POST";
  call.body = Body(body);
  call.not_found = NotFound();
  call.permission = Permission();
  if (on_merge_request()) {
    call.path = fmt::format("{}/merge_requests/{}/notes", ProjectPath(), ctx.change_number);
    call.what = fmt::format("creating the note on merge request !{}", ctx.change_number);
    ASSIGN_OR_RETURN(nlohmann::json note, api_.SendJson(call));
    ASSIGN_OR_RETURN(int64_t id, NoteId(note, call.what));
    return WebUrl(id);
  }
  call.path = fmt::format("{}/repository/commits/{}/discussions", ProjectPath(),
                          EncodePathSegment(ctx.commit_sha));
  call.what = fmt::format("creating the comment on commit {}", ctx.commit_sha.substr(0, 8));
  ASSIGN_OR_RETURN(nlohmann::json discussion, api_.SendJson(call));
  if (!discussion.is_object() || !discussion.contains("notes") || !discussion["notes"].is_array() ||
      discussion["notes"].empty()) {
    return Error(Code::kFailed, "GitLab's answer to {} has no notes", call.what);
  }
  ASSIGN_OR_RETURN(int64_t id, NoteId(discussion["notes"][0], call.what));
  return WebUrl(id);
}

Result<std::string> GitLabBackend::Update(const CommentRef& comment, std::string_view body) {
  const CiContext& ctx = api_.context();
  ApiCall call;
  call.method = "PUT";
  call.body = Body(body);
  call.permission = Permission() + " (editing another user's note needs Maintainer)";
  if (on_merge_request()) {
    call.path = fmt::format("{}/merge_requests/{}/notes/{}", ProjectPath(), ctx.change_number,
                            EncodePathSegment(comment.id));
    call.what = fmt::format("updating note {} on merge request !{}", comment.id, ctx.change_number);
  } else {
    call.path =
        fmt::format("{}/repository/commits/{}/discussions/{}/notes/{}", ProjectPath(),
                    EncodePathSegment(ctx.commit_sha), EncodePathSegment(comment.discussion_id),
                    EncodePathSegment(comment.id));
    call.what =
        fmt::format("updating note {} on commit {}", comment.id, ctx.commit_sha.substr(0, 8));
  }
  call.not_found =
      fmt::format("note {} was deleted while conveyor was posting; post again", comment.id);
  ASSIGN_OR_RETURN(nlohmann::json note, api_.SendJson(call));
  ASSIGN_OR_RETURN(int64_t id, NoteId(note, call.what));
  return WebUrl(id);
}

}  // namespace conveyor::ci
