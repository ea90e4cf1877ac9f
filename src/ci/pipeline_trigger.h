// Starting a CI pipeline from outside CI: a retraining run that runs on the
// team's CI runners instead of the serving machine (`conveyor serve` and
// `conveyor watch` with --retrain-pipeline).
//
//   GitLab  POST /projects/:id/trigger/pipeline
//             {"token": <trigger token>, "ref": "main",
//              "variables": {"CONVEYOR_RETRAIN_TRIGGER": "ConveyorInputDrift", ...}}
//           → 201 {"id": 257, "web_url": "…/-/pipelines/257", ...}
//           The token is a pipeline trigger token (Settings → CI/CD → Pipeline
//           trigger tokens), sent in the body, not a header; read from
//           CONVEYOR_GITLAB_TRIGGER_TOKEN. The variables reach the jobs.
//   GitHub  POST /repos/:owner/:repo/actions/workflows/:workflow/dispatches
//             {"ref": "main"}
//           → 204. The workflow must declare `on: workflow_dispatch`; the
//           token (CONVEYOR_GITHUB_TOKEN, else GITHUB_TOKEN) needs
//           `actions: write`. No inputs are sent (a workflow rejects inputs
//           it does not declare); the run shows "workflow_dispatch" as its
//           event.
//
// Calls go through ForgeApi: one-line failures naming what was being done
// and the variable holding the token, which never appears in a message; the
// caller's ForgeApi decides on retries (serve and watch make one attempt,
// since a POST whose answer was lost may have started the pipeline).
//
// Thread safety: ParsePipelineTarget and PipelineContext are pure;
// StartPipeline uses the ForgeApi it is given (one caller at a time).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "ci/ci_context.h"
#include "ci/forge_api.h"
#include "common/environment.h"
#include "common/status.h"

namespace conveyor::ci {

struct PipelineTarget {
  Forge forge = Forge::kGitLab;
  std::string api_url;   // "https://gitlab.com/api/v4", "https://api.github.com"
  std::string project;   // GitLab: id ("42") or path ("group/app"); GitHub: "owner/repo"
  std::string workflow;  // GitHub: the workflow file ("retrain.yml") or id
  std::string ref;       // the branch or tag to run on

  // "GitLab project 42 on main", "GitHub workflow retrain.yml of acme/app on main".
  std::string Describe() const;
};

// Parses "gitlab:PROJECT@REF" or "github:OWNER/REPO/WORKFLOW@REF" (REF
// defaults to "main"). `api_url` overrides the forge's public API root (a
// self-hosted GitLab: "https://gitlab.example.com/api/v4"). kUsage naming
// what is wrong.
Result<PipelineTarget> ParsePipelineTarget(std::string_view text, std::string_view api_url = "");

// The API context for `target`, with its token from `env`.
// kPermissionDenied naming the variable(s) when no token is set.
Result<CiContext> PipelineContext(const PipelineTarget& target, const EnvLookup& env);

struct StartedPipeline {
  std::string id;   // GitLab's pipeline id; empty for GitHub (204 names none)
  std::string url;  // a page to watch it: the pipeline, or the workflow's runs
};

// Starts one pipeline on `target` through `api` (built on PipelineContext's
// context). `variables` go to a GitLab pipeline; GitHub gets none.
Result<StartedPipeline> StartPipeline(ForgeApi& api, const PipelineTarget& target,
                                      const std::map<std::string, std::string>& variables);

}  // namespace conveyor::ci
