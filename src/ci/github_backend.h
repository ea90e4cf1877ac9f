// Posting on GitHub (REST API, version 2022-11-28), with
// "Authorization: Bearer <token>":
//
//   pull request  GET   /repos/:owner/:repo/issues/:number/comments?per_page=100
//                 POST  /repos/:owner/:repo/issues/:number/comments   {"body"}
//                 PATCH /repos/:owner/:repo/issues/comments/:id       {"body"}
//   commit        GET   /repos/:owner/:repo/commits/:sha/comments?per_page=100
//                 POST  /repos/:owner/:repo/commits/:sha/comments     {"body"}
//                 PATCH /repos/:owner/:repo/comments/:id              {"body"}
//
// Images. GitHub has no API to attach a file to a comment (the web editor's
// attachment upload is not part of the REST API). The images are therefore
// committed to a dedicated branch, `image_branch` (default
// "conveyor-reports"), at "<commit sha>/<report id>/<path in the report>",
// and the comment links to
//   <server>/<owner>/<repo>/blob/<branch>/<file>?raw=true
// which GitHub renders for everyone who can read the repository, private
// ones included. The branch starts as an orphan (one README, none of the
// project's history) so it never mixes with code:
//   GET  /repos/:owner/:repo/git/ref/heads/:branch         (404: create it)
//   POST /repos/:owner/:repo/git/trees    {"tree": [README blob]}
//   POST /repos/:owner/:repo/git/commits  {"message", "tree", "parents": []}
//   POST /repos/:owner/:repo/git/refs     {"ref": "refs/heads/<branch>", "sha"}
// then per image (Contents API):
//   GET  /repos/:owner/:repo/contents/:file?ref=:branch   (200: its blob sha)
//   PUT  /repos/:owner/:repo/contents/:file  {"message", "content" (base64), "branch"[, "sha"]}
// This needs `permissions: contents: write`; posting without images
// (PostOptions::upload_images = false) needs only `pull-requests: write`.
// Old images can be pruned by deleting or force-pushing the branch.
//
// Thread safety: not thread-safe; `api` must outlive the backend.
#pragma once

#include <string>

#include "ci/comment_backend.h"
#include "ci/forge_api.h"

namespace conveyor::ci {

class GitHubBackend final : public CommentBackend {
 public:
  // `report_id` keys the image paths; `image_branch` is where images go.
  GitHubBackend(ForgeApi& api, std::string report_id, std::string image_branch)
      : api_(api), report_id_(std::move(report_id)), image_branch_(std::move(image_branch)) {}

  std::string Target() const override;
  size_t MaxBodyChars() const override { return 65'536; }
  Result<std::string> UploadImage(const ReportImage& image) override;
  Result<std::optional<CommentRef>> FindComment(std::string_view marker) override;
  Result<std::string> Create(std::string_view body) override;
  Result<std::string> Update(const CommentRef& comment, std::string_view body) override;

 private:
  bool on_pull_request() const { return api_.context().change_number != 0; }
  std::string RepoPath() const;  // "/repos/owner/repo"
  std::string NotFound() const;
  std::string Permission() const;
  Status EnsureImageBranch();

  ForgeApi& api_;
  const std::string report_id_;
  const std::string image_branch_;
  bool branch_ready_ = false;
};

}  // namespace conveyor::ci
