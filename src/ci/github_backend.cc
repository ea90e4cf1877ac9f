#include "ci/github_backend.h"

#include <fmt/format.h>

#include "common/base64.h"

namespace conveyor::ci {

namespace {

std::string Json(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool IsMarked(const nlohmann::json& comment, std::string_view marker) {
  if (!comment.is_object()) {
    return false;
  }
  auto body = comment.find("body");
  return body != comment.end() && body->is_string() &&
         std::string_view(body->get_ref<const std::string&>()).substr(0, marker.size()) == marker;
}

Result<std::string> StringField(const nlohmann::json& json, const char* field,
                                std::string_view what) {
  if (!json.is_object() || !json.contains(field) || !json[field].is_string()) {
    return Error(Code::kFailed, "GitHub's answer to {} has no \"{}\"", what, field);
  }
  return json[field].get<std::string>();
}

}  // namespace

std::string GitHubBackend::Target() const {
  const CiContext& ctx = api_.context();
  if (on_pull_request()) {
    return fmt::format("pull request #{}", ctx.change_number);
  }
  return fmt::format("commit {}", ctx.commit_sha.substr(0, 7));
}

std::string GitHubBackend::RepoPath() const {
  const std::string& repo = api_.context().project;
  size_t slash = repo.find('/');
  return fmt::format("/repos/{}/{}", EncodePathSegment(repo.substr(0, slash)),
                     EncodePathSegment(repo.substr(slash + 1)));
}

std::string GitHubBackend::NotFound() const {
  const CiContext& ctx = api_.context();
  if (on_pull_request()) {
    return fmt::format(
        "repository {} (GITHUB_REPOSITORY) or its pull request #{} does not exist, or the token "
        "cannot see it",
        ctx.project, ctx.change_number);
  }
  return fmt::format(
      "repository {} (GITHUB_REPOSITORY) or its commit {} (GITHUB_SHA) does not exist, or the "
      "token cannot see it",
      ctx.project, ctx.commit_sha);
}

std::string GitHubBackend::Permission() const {
  return on_pull_request() ? "permissions: pull-requests: write" : "permissions: contents: write";
}

Status GitHubBackend::EnsureImageBranch() {
  if (branch_ready_) {
    return OkStatus();
  }
  const CiContext& ctx = api_.context();
  std::string permission = fmt::format(
      "permissions: contents: write to commit report images to branch {} (or post without "
      "images)",
      image_branch_);
  std::string not_found = fmt::format(
      "repository {} (GITHUB_REPOSITORY) does not exist, or the token cannot see it", ctx.project);
  ApiCall get;
  get.path = fmt::format("{}/git/ref/heads/{}", RepoPath(), EncodePath(image_branch_));
  get.what = fmt::format("looking for the images branch {}", image_branch_);
  get.not_found = not_found;
  get.permission = permission;
  get.pass_through = {404};
  ASSIGN_OR_RETURN(HttpResponse found, api_.Send(get));
  if (found.status == 404) {
    ApiCall tree;
    tree.method = "POST";
    tree.path = RepoPath() + "/git/trees";
    tree.body = Json({{"tree",
                       {{{"path", "README.md"},
                         {"mode", "100644"},
                         {"type", "blob"},
                         {"content",
                          "# conveyor report images\n\nImages shown in conveyor's report "
                          "comments, at <commit>/<report id>/<path>. Safe to delete.\n"}}}}});
    tree.what = fmt::format("creating the images branch {}", image_branch_);
    tree.not_found = not_found;
    tree.permission = permission;
    ASSIGN_OR_RETURN(nlohmann::json tree_answer, api_.SendJson(tree));
    ASSIGN_OR_RETURN(std::string tree_sha, StringField(tree_answer, "sha", tree.what));
    ApiCall commit = tree;
    commit.path = RepoPath() + "/git/commits";
    commit.body = Json({{"message", "conveyor: report images"},
                        {"tree", tree_sha},
                        {"parents", nlohmann::json::array()}});
    ASSIGN_OR_RETURN(nlohmann::json commit_answer, api_.SendJson(commit));
    ASSIGN_OR_RETURN(std::string commit_sha, StringField(commit_answer, "sha", commit.what));
    ApiCall ref = tree;
    ref.path = RepoPath() + "/git/refs";
    ref.body = Json({{"ref", "refs/heads/" + image_branch_}, {"sha", commit_sha}});
    ref.pass_through = {422};  // "Reference already exists": another job made it first
    RETURN_IF_ERROR(api_.Send(ref).status());
  }
  branch_ready_ = true;
  return OkStatus();
}

Result<std::string> GitHubBackend::UploadImage(const ReportImage& image) {
  RETURN_IF_ERROR(EnsureImageBranch());
  const CiContext& ctx = api_.context();
  std::string file = fmt::format("{}/{}/{}", ctx.commit_sha, report_id_, image.path);
  std::string permission = fmt::format(
      "permissions: contents: write to commit report images to branch {} (or post without "
      "images)",
      image_branch_);
  ApiCall get;
  get.path = fmt::format("{}/contents/{}?ref={}", RepoPath(), EncodePath(file),
                         EncodePathSegment(image_branch_));
  get.what = fmt::format("looking for image {} on branch {}", image.path, image_branch_);
  get.not_found = fmt::format("repository {} (GITHUB_REPOSITORY) does not exist", ctx.project);
  get.permission = permission;
  get.pass_through = {404};
  ASSIGN_OR_RETURN(HttpResponse existing, api_.Send(get));
  nlohmann::json put_body = {
      {"message", fmt::format("conveyor: report images for {}", ctx.commit_sha.substr(0, 7))},
      {"content", EncodeBase64(image.png)},
      {"branch", image_branch_}};
  if (existing.status == 200) {
    nlohmann::json old = nlohmann::json::parse(existing.body, nullptr, false);
    if (old.is_object() && old.contains("sha") && old["sha"].is_string()) {
      put_body["sha"] = old["sha"];
    }
  }
  ApiCall put;
  put.method = "PUT";
  put.path = fmt::format("{}/contents/{}", RepoPath(), EncodePath(file));
  put.body = Json(put_body);
  put.what = fmt::format("committing image {} to branch {}", image.path, image_branch_);
  put.not_found = get.not_found;
  put.permission = permission;
  RETURN_IF_ERROR(api_.Send(put).status());
  return fmt::format("{}/{}/blob/{}/{}?raw=true", ctx.server_url, ctx.project,
                     EncodePath(image_branch_), EncodePath(file));
}

Result<std::optional<CommentRef>> GitHubBackend::FindComment(std::string_view marker) {
  const CiContext& ctx = api_.context();
  ApiCall call;
  call.not_found = NotFound();
  call.permission = Permission();
  if (on_pull_request()) {
    call.path = fmt::format("{}/issues/{}/comments?per_page=100", RepoPath(), ctx.change_number);
    call.what = fmt::format("listing the comments of pull request #{}", ctx.change_number);
  } else {
    call.path = fmt::format("{}/commits/{}/comments?per_page=100", RepoPath(),
                            EncodePathSegment(ctx.commit_sha));
    call.what = fmt::format("listing the comments on commit {}", ctx.commit_sha.substr(0, 7));
  }
  ASSIGN_OR_RETURN(std::vector<nlohmann::json> comments, api_.GetAll(call));
  std::optional<CommentRef> found;
  for (const nlohmann::json& comment : comments) {
    if (IsMarked(comment, marker) && comment.contains("id") && comment["id"].is_number_integer()) {
      found = CommentRef{comment["id"].dump(), ""};
    }
  }
  return found;
}

Result<std::string> GitHubBackend::Create(std::string_view body) {
  const CiContext& ctx = api_.context();
  ApiCall call;
  call.method = "POST";
  call.body = Json({{"body", body}});
  call.not_found = NotFound();
  call.permission = Permission();
  if (on_pull_request()) {
    call.path = fmt::format("{}/issues/{}/comments", RepoPath(), ctx.change_number);
    call.what = fmt::format("creating the comment on pull request #{}", ctx.change_number);
  } else {
    call.path =
        fmt::format("{}/commits/{}/comments", RepoPath(), EncodePathSegment(ctx.commit_sha));
    call.what = fmt::format("creating the comment on commit {}", ctx.commit_sha.substr(0, 7));
  }
  ASSIGN_OR_RETURN(nlohmann::json answer, api_.SendJson(call));
  return StringField(answer, "html_url", call.what);
}

Result<std::string> GitHubBackend::Update(const CommentRef& comment, std::string_view body) {
  const CiContext& ctx = api_.context();
  ApiCall call;
  call.method = "PATCH";
  call.body = Json({{"body", body}});
  call.permission = Permission();
  if (on_pull_request()) {
    call.path = fmt::format("{}/issues/comments/{}", RepoPath(), comment.id);
    call.what =
        fmt::format("updating comment {} on pull request #{}", comment.id, ctx.change_number);
  } else {
    call.path = fmt::format("{}/comments/{}", RepoPath(), comment.id);
    call.what =
        fmt::format("updating comment {} on commit {}", comment.id, ctx.commit_sha.substr(0, 7));
  }
  call.not_found =
      fmt::format("comment {} was deleted while conveyor was posting; post again", comment.id);
  ASSIGN_OR_RETURN(nlohmann::json answer, api_.SendJson(call));
  return StringField(answer, "html_url", call.what);
}

}  // namespace conveyor::ci
