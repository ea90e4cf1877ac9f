// A local fake of the parts of GitLab's REST API v4 that conveyor uses
// (see gitlab_backend.h), under <base_url>/api/v4:
//   GET/POST /projects/:id/merge_requests/:iid/notes, PUT .../notes/:note_id
//   GET/POST /projects/:id/repository/commits/:sha/discussions,
//   PUT .../discussions/:discussion_id/notes/:note_id
//   POST /projects/:id/uploads (multipart/form-data, part "file")
//   POST /projects/:id/trigger/pipeline (JSON {"token", "ref", "variables"}):
//     authenticated by the trigger token in the body, not PRIVATE-TOKEN (a
//     wrong one: 404 {"message": "404 Not Found"}); answers 201 with the
//     pipeline's id and web_url
// It checks the PRIVATE-TOKEN header (401 {"message": "401 Unauthorized"}
// when wrong), Accept and User-Agent, JSON bodies with a string "body", and
// the upload's multipart shape. Unknown project: 404 {"message": "404
// Project Not Found"}; unknown merge request: 404 {"message": "404 Not
// found"}. Lists are paginated with X-Next-Page, X-Page, X-Per-Page, X-Total
// and a Link header, at most `page_size` items a page.
//
// Thread safety: as FakeForge.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ci/testing/fake_forge.h"

namespace conveyor::ci::testing {

struct FakeNote {
  int64_t id = 0;
  std::string body;
  bool system = false;
};

struct FakeDiscussion {
  std::string id;
  std::vector<FakeNote> notes;
};

struct FakeUpload {
  std::string filename;
  std::string content_type;
  std::string data;
  std::string url;
};

class FakeGitLab final : public FakeForge {
 public:
  // Serves project `project_id` (e.g. "42") with merge requests `mr_iids`,
  // accepting `token`.
  FakeGitLab(std::string project_id, const std::vector<int64_t>& mr_iids, std::string token);

  std::string api_url() const { return base_url() + "/api/v4"; }

  // Largest page the fake answers (default 100, GitLab's maximum).
  void set_page_size(size_t size);
  // Whether lists carry a Link header besides X-Next-Page (default true).
  void set_link_header(bool on);

  // Adds a note to a merge request directly (someone else's, or an earlier
  // conveyor report); returns its id.
  int64_t AddNote(int64_t iid, std::string body, bool system = false);
  // Adds a single-note thread on a commit; returns the note's id.
  int64_t AddCommitNote(const std::string& sha, std::string body);

  std::vector<FakeNote> notes(int64_t iid) const;
  std::vector<FakeDiscussion> discussions(const std::string& sha) const;
  std::vector<FakeUpload> uploads() const;

  // Accepts `token` as the project's pipeline trigger token.
  void set_trigger_token(std::string token);
  struct Pipeline {
    int64_t id = 0;
    std::string ref;
    std::map<std::string, std::string> variables;
  };
  std::vector<Pipeline> pipelines() const;

 private:
  void AddRoutes() override;
  std::optional<serving::HttpResponse> CheckHeaders(const serving::HttpRequest& request) override;
  // 404 answer when the project or MR is unknown.
  std::optional<serving::HttpResponse> CheckTarget(const serving::HttpRequest& request,
                                                   bool merge_request);
  serving::HttpResponse Page(const serving::HttpRequest& request, const nlohmann::json& items);
  static nlohmann::json NoteJson(const FakeNote& note);

  const std::string project_id_;
  const std::string token_;
  // Guarded by mu_.
  std::map<int64_t, std::vector<FakeNote>> notes_;
  std::map<std::string, std::vector<FakeDiscussion>> discussions_;
  std::vector<FakeUpload> uploads_;
  std::string trigger_token_;
  std::vector<Pipeline> pipelines_;
  int64_t next_id_ = 1000;
  size_t page_size_ = 100;
  bool link_header_ = true;
};

}  // namespace conveyor::ci::testing
