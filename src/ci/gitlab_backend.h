// Posting on GitLab (REST API v4), with the token in PRIVATE-TOKEN:
//
//   merge request  GET
//   /projects/:id/merge_requests/:iid/notes?sort=asc&order_by=created_at&per_page=100
//                  POST /projects/:id/merge_requests/:iid/notes           {"body"}
//                  PUT  /projects/:id/merge_requests/:iid/notes/:note_id  {"body"}
//   commit         GET  /projects/:id/repository/commits/:sha/discussions?per_page=100
//                  POST /projects/:id/repository/commits/:sha/discussions {"body"}
//                  PUT
//                  /projects/:id/repository/commits/:sha/discussions/:discussion_id/notes/:note_id
//                  {"body"}
//   images         POST /projects/:id/uploads  (multipart/form-data, part "file");
//                  the answer's "url" ("/uploads/<secret>/confusion.png")
//                  resolves inside the project's notes.
//
// Commits: GitLab's commit comments endpoint (POST .../commits/:sha/comments)
// answers without a note id, and comments made there can be neither linked
// to nor edited through the API. A comment on a commit is therefore posted as
// a single-note thread through the Discussions API: it shows on the commit
// page exactly like a commit comment, its URL points at the note
// (".../-/commit/<sha>#note_<id>"), and --update edits it in place. An
// update also finds marked comments made through the comments endpoint (they
// are notes listed among the commit's discussions).
//
// Thread safety: not thread-safe; `api` must outlive the backend.
#pragma once

#include "ci/comment_backend.h"
#include "ci/forge_api.h"

namespace conveyor::ci {

class GitLabBackend final : public CommentBackend {
 public:
  explicit GitLabBackend(ForgeApi& api) : api_(api) {}

  std::string Target() const override;
  size_t MaxBodyChars() const override { return 1'000'000; }
  Result<std::string> UploadImage(const ReportImage& image) override;
  Result<std::optional<CommentRef>> FindComment(std::string_view marker) override;
  Result<std::string> Create(std::string_view body) override;
  Result<std::string> Update(const CommentRef& comment, std::string_view body) override;

 private:
  bool on_merge_request() const { return api_.context().change_number != 0; }
  std::string ProjectPath() const;  // "/projects/42"
  std::string NotFound() const;
  std::string Permission() const;
  std::string WebUrl(int64_t note_id) const;

  ForgeApi& api_;
};

// A multipart/form-data body with one file part named `field`; sets
// `content_type` to the header value (with its boundary).
std::string MultipartFileBody(std::string_view field, std::string_view filename,
                              std::string_view media_type, std::string_view data,
                              std::string& content_type);

}  // namespace conveyor::ci
