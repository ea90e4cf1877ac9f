// `conveyor report --post`: posts a finished Markdown report as conveyor's
// comment on the merge request / pull request of the CI job, or on its
// commit when there is none, on GitLab or GitHub (see gitlab_backend.h and
// github_backend.h for the exact API calls).
//
//   ASSIGN_OR_RETURN(CiContext ci, DetectCiContext(ProcessEnvironment()));
//   CurlHttpClient http;
//   SystemClock clock;
//   ASSIGN_OR_RETURN(PostResult posted,
//                    PostReport(ci, markdown, images, {.update = true}, http, clock));
//   console.Print("report {} on {}: {}", posted.updated ? "updated" : "posted",
//                 posted.target, posted.url);
//
// The marker. The comment's body starts with the hidden line
//   <!-- conveyor-report: <report_id> -->
// (HTML comments do not render on either forge). With `update`, the most
// recent comment on the target that starts with the same marker is edited in
// place; other reports (other ids) and everyone else's comments are left
// alone; when none is found a new comment is posted. Without `update`, a new
// comment is always posted.
//
// Images. Every inline image link whose target is a relative file name
// (`![confusion](plots/confusion.png)`, "./" ignored) must name one of
// `images` (else kInvalid, naming the link's line). With `upload_images`,
// each referenced image is published once (GitLab: project uploads; GitHub:
// committed to the images branch) and its links are rewritten to the
// published URL. Without, each such link becomes the text
// "_<alt> (image <path> not uploaded)_" and nothing is published. Images the
// Markdown does not refer to are ignored. Links to absolute URLs stay as
// they are.
//
// Errors are one line each (forge_api.h lists them); tokens never appear in
// them. Nothing is written to any output by this module.
//
// Thread safety: PostReport is reentrant; the client and clock are used from
// the calling thread only.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "ci/ci_context.h"
#include "ci/comment_backend.h"
#include "ci/http_client.h"
#include "ci/retry_policy.h"
#include "common/status.h"

namespace conveyor::ci {

struct PostOptions {
  // Edit conveyor's existing comment (same report_id) instead of adding one.
  // Default: false.
  bool update = false;
  // Tells reports apart on one target: letters, digits, '.', '_', '-', at
  // most 64. Default: "default".
  std::string report_id = "default";
  // Publish the images and link them; false replaces their links by text.
  // Default: true.
  bool upload_images = true;
  // GitHub only: the branch images are committed to. Default:
  // "conveyor-reports".
  std::string github_image_branch = "conveyor-reports";
  // Retries on rate limits, 5xx and transport failures (retry_policy.h).
  RetryOptions retry;
};

struct PostResult {
  std::string url;       // the comment's web URL
  bool updated = false;  // true when an existing comment was edited
  std::string target;    // "merge request !12", "pull request #7", "commit 0123abcd"
};

// The first line of every conveyor report comment with this id.
std::string ReportMarker(std::string_view report_id);

Result<PostResult> PostReport(const CiContext& context, std::string_view markdown,
                              std::span<const ReportImage> images, const PostOptions& options,
                              HttpClient& http, Clock& clock);

}  // namespace conveyor::ci
