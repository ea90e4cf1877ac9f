// A local fake of the parts of GitHub's REST API that conveyor uses (see
// github_backend.h), at the root of base_url (as api.github.com):
//   GET/POST /repos/:owner/:repo/issues/:number/comments,
//   PATCH /repos/:owner/:repo/issues/comments/:id
//   GET/POST /repos/:owner/:repo/commits/:sha/comments,
//   PATCH /repos/:owner/:repo/comments/:id
//   GET /repos/:owner/:repo/git/ref/heads/:branch, POST .../git/trees,
//   POST .../git/commits, POST .../git/refs
//   GET/PUT /repos/:owner/:repo/contents/:path (up to 8 segments)
//   POST /repos/:owner/:repo/actions/workflows/:workflow/dispatches
//     {"ref"[, "inputs"]}: 204 for a workflow added with AddWorkflow, else
//     404; a ref that is not a branch: 422
// Every request must carry "Authorization: Bearer <token>" (else 401
// {"message": "Bad credentials"}), "Accept: application/vnd.github+json",
// "X-GitHub-Api-Version: 2022-11-28" and a User-Agent (GitHub refuses
// requests without one). Bodies are JSON objects with the documented
// fields; contents are checked to be base64. Lists are paginated with a Link
// header (rel="next"), at most `page_size` items a page.
//
// Thread safety: as FakeForge.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "ci/testing/fake_forge.h"

namespace conveyor::ci::testing {

struct FakeComment {
  int64_t id = 0;
  std::string body;
};

struct FakeFile {
  std::string sha;
  std::string content;  // decoded
  std::string message;
};

class FakeGitHub final : public FakeForge {
 public:
  // Serves repository `repo` ("owner/repo") with pull requests `prs`,
  // accepting `token`.
  FakeGitHub(std::string repo, const std::vector<int64_t>& prs, std::string token);

  void set_page_size(size_t size);

  // Adds a comment directly; returns its id.
  int64_t AddIssueComment(int64_t number, std::string body);
  int64_t AddCommitComment(const std::string& sha, std::string body);
  // Makes branch `name` exist.
  void AddBranch(const std::string& name);

  std::vector<FakeComment> issue_comments(int64_t number) const;
  std::vector<FakeComment> commit_comments(const std::string& sha) const;
  // "<branch>:<path>" -> file.
  std::map<std::string, FakeFile> files() const;
  std::vector<std::string> branches() const;

  // A workflow file that may be dispatched.
  void AddWorkflow(const std::string& file);
  // "<workflow>@<ref>" per dispatch, in order.
  std::vector<std::string> dispatches() const;

 private:
  void AddRoutes() override;
  std::optional<serving::HttpResponse> CheckHeaders(const serving::HttpRequest& request) override;
  std::optional<serving::HttpResponse> CheckRepo(const serving::HttpRequest& request);
  serving::HttpResponse Page(const serving::HttpRequest& request, const nlohmann::json& items);
  nlohmann::json CommentJson(const FakeComment& comment, const std::string& html_url) const;
  std::optional<std::string> Body(const serving::HttpRequest& request,
                                  serving::HttpResponse& error);

  const std::string repo_;
  const std::string token_;
  // Guarded by mu_.
  std::map<int64_t, std::vector<FakeComment>> issue_comments_;
  std::map<std::string, std::vector<FakeComment>> commit_comments_;
  std::map<std::string, std::string> refs_;  // branch -> commit sha
  std::map<std::string, FakeFile> files_;
  std::set<std::string> workflows_;
  std::vector<std::string> dispatches_;
  int64_t next_id_ = 5000;
  size_t page_size_ = 100;
};

}  // namespace conveyor::ci::testing
