#include "ci/testing/fake_github.h"

#include <fmt/format.h>

#include "common/base64.h"

namespace conveyor::ci::testing {

using serving::HttpRequest;
using serving::HttpResponse;

namespace {

// As GitHub takes it: padded to a multiple of four characters.
std::optional<std::string> StrictBase64(const std::string& text) {
  if (text.size() % 4 != 0)
    return std::nullopt;
  Result<std::string> bytes = DecodeBase64(text);
  if (!bytes.ok())
    return std::nullopt;
  return *bytes;
}
}  // namespace

FakeGitHub::FakeGitHub(std::string repo, const std::vector<int64_t>& prs, std::string token)
    : repo_(std::move(repo)), token_(std::move(token)) {
  for (int64_t pr : prs) {
    issue_comments_[pr];
  }
}

void FakeGitHub::set_page_size(size_t size) {
  std::lock_guard lock(mu_);
  page_size_ = size;
}

int64_t FakeGitHub::AddIssueComment(int64_t number, std::string body) {
  std::lock_guard lock(mu_);
  issue_comments_[number].push_back({next_id_, std::move(body)});
  return next_id_++;
}

int64_t FakeGitHub::AddCommitComment(const std::string& sha, std::string body) {
  std::lock_guard lock(mu_);
  commit_comments_[sha].push_back({next_id_, std::move(body)});
  return next_id_++;
}

void FakeGitHub::AddBranch(const std::string& name) {
  std::lock_guard lock(mu_);
  refs_[name] = "feedface";
}

std::vector<FakeComment> FakeGitHub::issue_comments(int64_t number) const {
  std::lock_guard lock(mu_);
  auto it = issue_comments_.find(number);
  return it == issue_comments_.end() ? std::vector<FakeComment>{} : it->second;
}

std::vector<FakeComment> FakeGitHub::commit_comments(const std::string& sha) const {
  std::lock_guard lock(mu_);
  auto it = commit_comments_.find(sha);
  return it == commit_comments_.end() ? std::vector<FakeComment>{} : it->second;
}

std::map<std::string, FakeFile> FakeGitHub::files() const {
  std::lock_guard lock(mu_);
  return files_;
}

std::vector<std::string> FakeGitHub::branches() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, sha] : refs_) {
    names.push_back(name);
  }
  return names;
}

void FakeGitHub::AddWorkflow(const std::string& file) {
  std::lock_guard lock(mu_);
  workflows_.insert(file);
}

std::vector<std::string> FakeGitHub::dispatches() const {
  std::lock_guard lock(mu_);
  return dispatches_;
}

std::optional<HttpResponse> FakeGitHub::CheckHeaders(const HttpRequest& request) {
  if (request.Header("authorization") != "Bearer " + token_) {
    return Json(401, {{"message", "Bad credentials"},
                      {"documentation_url", "https://docs.github.com/rest"},
                      {"status", "401"}});
  }
  if (request.Header("accept") != "application/vnd.github+json") {
    return Violation(fmt::format("{} {}: Accept is \"{}\"", request.method, request.path,
                                 request.Header("accept")));
  }
  if (request.Header("x-github-api-version") != "2022-11-28") {
    return Violation(fmt::format("{} {}: X-GitHub-Api-Version is \"{}\"", request.method,
                                 request.path, request.Header("x-github-api-version")));
  }
  if (request.Header("user-agent").empty()) {
    return Violation(fmt::format("{} {}: no User-Agent", request.method, request.path));
  }
  return std::nullopt;
}

std::optional<HttpResponse> FakeGitHub::CheckRepo(const HttpRequest& request) {
  if (request.path_params.at("owner") + "/" + request.path_params.at("repo") != repo_) {
    return Json(404, {{"message", "Not Found"},
                      {"documentation_url", "https://docs.github.com/rest"},
                      {"status", "404"}});
  }
  return std::nullopt;
}

HttpResponse FakeGitHub::Page(const HttpRequest& request, const nlohmann::json& items) {
  size_t page = 1;
  size_t per_page = 30;  // GitHub's default
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
  if (page * per_page < items.size()) {
    response.headers.emplace_back(
        "Link", fmt::format("<{}{}?per_page={}&page={}>; rel=\"next\", <{}{}?per_page={}&page=1>; "
                            "rel=\"first\"",
                            base_url(), request.path, per_page, page + 1, base_url(), request.path,
                            per_page));
  }
  return response;
}

nlohmann::json FakeGitHub::CommentJson(const FakeComment& comment,
                                       const std::string& html_url) const {
  return {{"id", comment.id},
          {"node_id", "IC_x"},
          {"body", comment.body},
          {"user", {{"login", "github-actions[bot]"}}},
          {"html_url", html_url}};
}

std::optional<std::string> FakeGitHub::Body(const HttpRequest& request, HttpResponse& error) {
  std::optional<nlohmann::json> body = JsonBody(request, error);
  if (!body) {
    return std::nullopt;
  }
  if (!body->contains("body") || !(*body)["body"].is_string()) {
    error = Json(422, {{"message", "Invalid request."},
                       {"errors", {"\"body\" wasn't supplied."}},
                       {"status", "422"}});
    return std::nullopt;
  }
  return (*body)["body"].get<std::string>();
}

void FakeGitHub::AddRoutes() {
  const std::string repo = "/repos/{owner}/{repo}";
  Route("POST", repo + "/actions/workflows/{workflow}/dispatches", "workflow_dispatch",
        [this](HttpRequest& r) {
          if (auto missing = CheckRepo(r))
            return *missing;
          if (workflows_.count(r.path_params.at("workflow")) == 0)
            return Json(404, {{"message", "Not Found"}, {"status", "404"}});
          HttpResponse error;
          std::optional<nlohmann::json> body = JsonBody(r, error);
          if (!body)
            return error;
          if (!body->contains("ref") || !(*body)["ref"].is_string())
            return Violation("dispatches: ref is missing");
          const std::string ref = (*body)["ref"].get<std::string>();
          if (refs_.count(ref) == 0) {
            return Json(422, {{"message", "No ref found for: " + ref}, {"status", "422"}});
          }
          dispatches_.push_back(r.path_params.at("workflow") + "@" + ref);
          HttpResponse answer;
          answer.status = 204;
          return answer;
        });
  auto issue_url = [this](int64_t number, int64_t id) {
    return fmt::format("https://github.example/{}/pull/{}#issuecomment-{}", repo_, number, id);
  };
  auto commit_url = [this](const std::string& sha, int64_t id) {
    return fmt::format("https://github.example/{}/commit/{}#commitcomment-{}", repo_, sha, id);
  };
  Route("GET", repo + "/issues/{number}/comments", "list_issue_comments",
        [this, issue_url](HttpRequest& r) {
          if (auto missing = CheckRepo(r)) {
            return *missing;
          }
          int64_t number = std::stoll(r.path_params.at("number"));
          if (!issue_comments_.contains(number)) {
            return Json(404, {{"message", "Not Found"}, {"status", "404"}});
          }
          nlohmann::json items = nlohmann::json::array();
          for (const FakeComment& c : issue_comments_[number]) {
            items.push_back(CommentJson(c, issue_url(number, c.id)));
          }
          return Page(r, items);
        });
  Route("POST", repo + "/issues/{number}/comments", "create_issue_comment",
        [this, issue_url](HttpRequest& r) {
          if (auto missing = CheckRepo(r)) {
            return *missing;
          }
          int64_t number = std::stoll(r.path_params.at("number"));
          if (!issue_comments_.contains(number)) {
            return Json(404, {{"message", "Not Found"}, {"status", "404"}});
          }
          HttpResponse error;
          std::optional<std::string> body = Body(r, error);
          if (!body) {
            return error;
          }
          FakeComment c{next_id_++, *body};
          issue_comments_[number].push_back(c);
          return Json(201, CommentJson(c, issue_url(number, c.id)));
        });
  Route("PATCH", repo + "/issues/comments/{id}", "update_issue_comment",
        [this, issue_url](HttpRequest& r) {
          if (auto missing = CheckRepo(r)) {
            return *missing;
          }
          HttpResponse error;
          std::optional<std::string> body = Body(r, error);
          if (!body) {
            return error;
          }
          for (auto& [number, comments] : issue_comments_) {
            for (FakeComment& c : comments) {
              if (std::to_string(c.id) == r.path_params.at("id")) {
                c.body = *body;
                return Json(200, CommentJson(c, issue_url(number, c.id)));
              }
            }
          }
          return Json(404, {{"message", "Not Found"}, {"status", "404"}});
        });
  Route("GET", repo + "/commits/{sha}/comments", "list_commit_comments",
        [this, commit_url](HttpRequest& r) {
          if (auto missing = CheckRepo(r)) {
            return *missing;
          }
          const std::string& sha = r.path_params.at("sha");
          nlohmann::json items = nlohmann::json::array();
          for (const FakeComment& c : commit_comments_[sha]) {
            items.push_back(CommentJson(c, commit_url(sha, c.id)));
          }
          return Page(r, items);
        });
  Route("POST", repo + "/commits/{sha}/comments", "create_commit_comment",
        [this, commit_url](HttpRequest& r) {
          if (auto missing = CheckRepo(r)) {
            return *missing;
          }
          HttpResponse error;
          std::optional<std::string> body = Body(r, error);
          if (!body) {
            return error;
          }
          const std::string& sha = r.path_params.at("sha");
          FakeComment c{next_id_++, *body};
          commit_comments_[sha].push_back(c);
          return Json(201, CommentJson(c, commit_url(sha, c.id)));
        });
  Route("PATCH", repo + "/comments/{id}", "update_commit_comment",
        [this, commit_url](HttpRequest& r) {
          if (auto missing = CheckRepo(r)) {
            return *missing;
          }
          HttpResponse error;
          std::optional<std::string> body = Body(r, error);
          if (!body) {
            return error;
          }
          for (auto& [sha, comments] : commit_comments_) {
            for (FakeComment& c : comments) {
              if (std::to_string(c.id) == r.path_params.at("id")) {
                c.body = *body;
                return Json(200, CommentJson(c, commit_url(sha, c.id)));
              }
            }
          }
          return Json(404, {{"message", "Not Found"}, {"status", "404"}});
        });

  // Git data: the images branch.
  Route("GET", repo + "/git/ref/heads/{branch}", "get_ref", [this](HttpRequest& r) {
    if (auto missing = CheckRepo(r)) {
      return *missing;
    }
    auto it = refs_.find(r.path_params.at("branch"));
    if (it == refs_.end()) {
      return Json(404, {{"message", "Not Found"}, {"status", "404"}});
    }
    return Json(200, {{"ref", "refs/heads/" + it->first}, {"object", {{"sha", it->second}}}});
  });
  Route("POST", repo + "/git/trees", "create_tree", [this](HttpRequest& r) {
    if (auto missing = CheckRepo(r)) {
      return *missing;
    }
    HttpResponse error;
    std::optional<nlohmann::json> body = JsonBody(r, error);
    if (!body) {
      return error;
    }
    if (!body->contains("tree") || !(*body)["tree"].is_array() || (*body)["tree"].empty()) {
      return Violation("create_tree: no \"tree\" array");
    }
    for (const nlohmann::json& entry : (*body)["tree"]) {
      if (!entry.contains("path") || entry.value("mode", "") != "100644" ||
          entry.value("type", "") != "blob" || !entry.contains("content")) {
        return Violation("create_tree: an entry lacks path, mode 100644, type blob or content");
      }
    }
    return Json(201, {{"sha", "7ree"}, {"tree", (*body)["tree"]}});
  });
  Route("POST", repo + "/git/commits", "create_commit", [this](HttpRequest& r) {
    if (auto missing = CheckRepo(r)) {
      return *missing;
    }
    HttpResponse error;
    std::optional<nlohmann::json> body = JsonBody(r, error);
    if (!body) {
      return error;
    }
    if (!(*body)["message"].is_string() || (*body)["tree"] != "7ree" ||
        !(*body)["parents"].is_array()) {
      return Violation("create_commit: needs message, the tree's sha and parents");
    }
    return Json(201, {{"sha", "c0ffee"}});
  });
  Route("POST", repo + "/git/refs", "create_ref", [this](HttpRequest& r) {
    if (auto missing = CheckRepo(r)) {
      return *missing;
    }
    HttpResponse error;
    std::optional<nlohmann::json> body = JsonBody(r, error);
    if (!body) {
      return error;
    }
    std::string ref = body->value("ref", "");
    if (ref.rfind("refs/heads/", 0) != 0 || !(*body)["sha"].is_string()) {
      return Violation("create_ref: needs ref refs/heads/<name> and sha");
    }
    std::string name = ref.substr(11);
    if (refs_.contains(name)) {
      return Json(422, {{"message", "Reference already exists"}, {"status", "422"}});
    }
    refs_[name] = (*body)["sha"].get<std::string>();
    return Json(201, {{"ref", ref}, {"object", {{"sha", refs_[name]}}}});
  });

  // Contents, with paths of 1 to 8 segments (the router has no wildcard).
  std::string pattern = repo + "/contents";
  for (int depth = 1; depth <= 8; ++depth) {
    pattern += fmt::format("/{{p{}}}", depth);
    auto file_path = [depth](const HttpRequest& r) {
      std::string path;
      for (int i = 1; i <= depth; ++i) {
        path += (i > 1 ? "/" : "") + r.path_params.at(fmt::format("p{}", i));
      }
      return path;
    };
    Route("GET", pattern, "get_contents", [this, file_path](HttpRequest& r) {
      if (auto missing = CheckRepo(r)) {
        return *missing;
      }
      std::string branch = r.query.count("ref") != 0 ? r.query.at("ref") : "main";
      auto it = files_.find(branch + ":" + file_path(r));
      if (it == files_.end()) {
        return Json(404, {{"message", "Not Found"}, {"status", "404"}});
      }
      return Json(200, {{"type", "file"}, {"path", file_path(r)}, {"sha", it->second.sha}});
    });
    Route("PUT", pattern, "put_contents", [this, file_path](HttpRequest& r) {
      if (auto missing = CheckRepo(r)) {
        return *missing;
      }
      HttpResponse error;
      std::optional<nlohmann::json> body = JsonBody(r, error);
      if (!body) {
        return error;
      }
      if (!(*body)["message"].is_string() || !(*body)["content"].is_string()) {
        return Json(422, {{"message", "Invalid request."}, {"status", "422"}});
      }
      std::optional<std::string> content = StrictBase64((*body)["content"].get<std::string>());
      if (!content) {
        return Json(422, {{"message", "content is not valid Base64"}, {"status", "422"}});
      }
      std::string branch = body->value("branch", "main");
      if (!refs_.contains(branch)) {
        return Json(404, {{"message", "Branch " + branch + " not found"}, {"status", "404"}});
      }
      std::string key = branch + ":" + file_path(r);
      auto it = files_.find(key);
      if (it != files_.end() && body->value("sha", "") != it->second.sha) {
        return Json(
            422, {{"message", "Invalid request.\n\n\"sha\" wasn't supplied."}, {"status", "422"}});
      }
      FakeFile file{fmt::format("b{:039x}", next_id_++), *content,
                    (*body)["message"].get<std::string>()};
      files_[key] = file;
      return Json(it == files_.end() ? 201 : 200,
                  {{"content", {{"path", file_path(r)}, {"sha", file.sha}}},
                   {"commit", {{"sha", "c0mm17"}}}});
    });
  }
}

}  // namespace conveyor::ci::testing
