// What PostReport (post_report.h) needs from a forge, so that the posting
// logic (marker, image links, create-or-update) is written once:
// GitLabBackend (gitlab_backend.h) and GitHubBackend (github_backend.h).
//
// Thread safety: implementations are not thread-safe; one per posting.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace conveyor::ci {

// One PNG the report shows.
struct ReportImage {
  std::string path;  // as the Markdown refers to it: "plots/confusion.png"
  std::string png;   // the file's bytes
};

// An existing comment found by its marker.
struct CommentRef {
  std::string id;             // note or comment id
  std::string discussion_id;  // GitLab commit threads only
};

class CommentBackend {
 public:
  virtual ~CommentBackend() = default;

  // Where the comment goes, for messages: "merge request !12",
  // "pull request #7", "commit 0123abcd".
  virtual std::string Target() const = 0;

  // The longest comment body the forge accepts, in characters.
  virtual size_t MaxBodyChars() const = 0;

  // Publishes `image` and returns the URL the comment's Markdown links to.
  virtual Result<std::string> UploadImage(const ReportImage& image) = 0;

  // The most recent comment on the target whose body starts with `marker`,
  // or nullopt.
  virtual Result<std::optional<CommentRef>> FindComment(std::string_view marker) = 0;

  // Posts a new comment; returns its web URL.
  virtual Result<std::string> Create(std::string_view body) = 0;

  // Replaces the body of `comment`; returns its web URL.
  virtual Result<std::string> Update(const CommentRef& comment, std::string_view body) = 0;
};

}  // namespace conveyor::ci
