#include "ci/pipeline_trigger.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace conveyor::ci {

namespace {

using Json = nlohmann::json;

constexpr std::string_view kGitLabApi = "https://gitlab.com/api/v4";
constexpr std::string_view kGitHubApi = "https://api.github.com";
constexpr std::string_view kGitLabTriggerToken = "CONVEYOR_GITLAB_TRIGGER_TOKEN";

std::string TrimSlash(std::string_view url) {
  while (url.ends_with('/'))
    url.remove_suffix(1);
  return std::string(url);
}

// The web root of an API root: "https://gitlab.example.com/api/v4" → the
// server; api.github.com → github.com.
std::string WebRoot(const PipelineTarget& target) {
  if (target.forge == Forge::kGitHub) {
    return target.api_url == kGitHubApi ? "https://github.com" : target.api_url;
  }
  std::string root = target.api_url;
  if (root.ends_with("/api/v4"))
    root.resize(root.size() - std::string_view("/api/v4").size());
  return root;
}

}  // namespace

std::string PipelineTarget::Describe() const {
  if (forge == Forge::kGitLab)
    return fmt::format("GitLab project {} on {}", project, ref);
  return fmt::format("GitHub workflow {} of {} on {}", workflow, project, ref);
}

Result<PipelineTarget> ParsePipelineTarget(std::string_view text, std::string_view api_url) {
  const auto usage = [&](std::string_view why) {
    return Error(Code::kUsage,
                 "--retrain-pipeline '{}': {}; expected gitlab:PROJECT[@REF] (PROJECT an id or "
                 "group/name) or github:OWNER/REPO/WORKFLOW[@REF]",
                 text, why);
  };
  PipelineTarget target;
  std::string_view rest;
  if (text.starts_with("gitlab:")) {
    target.forge = Forge::kGitLab;
    rest = text.substr(7);
  } else if (text.starts_with("github:")) {
    target.forge = Forge::kGitHub;
    rest = text.substr(7);
  } else {
    return usage("no forge");
  }
  const size_t at = rest.rfind('@');
  target.ref = at == std::string_view::npos ? "main" : std::string(rest.substr(at + 1));
  rest = rest.substr(0, at);
  if (target.ref.empty())
    return usage("empty ref after '@'");
  if (target.forge == Forge::kGitLab) {
    if (rest.empty())
      return usage("no project");
    target.project = std::string(rest);
  } else {
    const size_t first = rest.find('/');
    const size_t last = rest.rfind('/');
    if (first == std::string_view::npos || first == last || first == 0 || last == rest.size() - 1 ||
        rest.find('/', first + 1) != last) {
      return usage("GitHub needs OWNER/REPO/WORKFLOW");
    }
    target.project = std::string(rest.substr(0, last));
    target.workflow = std::string(rest.substr(last + 1));
  }
  target.api_url = TrimSlash(
      api_url.empty() ? (target.forge == Forge::kGitLab ? kGitLabApi : kGitHubApi) : api_url);
  // The token goes with every call: plain HTTP only to this machine.
  const bool loopback = target.api_url.starts_with("http://127.0.0.1") ||
                        target.api_url.starts_with("http://localhost") ||
                        target.api_url.starts_with("http://[::1]");
  if (!target.api_url.starts_with("https://") && !loopback) {
    return Error(Code::kUsage,
                 "--retrain-api-url '{}' must be https:// (plain http only to 127.0.0.1, "
                 "localhost or [::1]): the token goes with every call",
                 api_url);
  }
  return target;
}

Result<CiContext> PipelineContext(const PipelineTarget& target, const EnvLookup& env) {
  CiContext context;
  context.forge = target.forge;
  context.api_url = target.api_url;
  context.server_url = WebRoot(target);
  context.project = target.project;
  context.project_path = target.project;
  const std::vector<std::string_view> names =
      target.forge == Forge::kGitLab
          ? std::vector<std::string_view>{kGitLabTriggerToken}
          : std::vector<std::string_view>{"CONVEYOR_GITHUB_TOKEN", "GITHUB_TOKEN"};
  for (std::string_view name : names) {
    std::optional<std::string> value = env(name);
    if (value.has_value() && !value->empty()) {
      context.token = Secret(*value);
      context.token_variable = std::string(name);
      return context;
    }
  }
  return Error(Code::kPermissionDenied, "no token to start a {} pipeline: set {}{}",
               ForgeName(target.forge), fmt::join(names, " or "),
               target.forge == Forge::kGitLab
                   ? " to a pipeline trigger token (Settings > CI/CD > Pipeline trigger tokens)"
                   : " to a token with actions: write");
}

Result<StartedPipeline> StartPipeline(ForgeApi& api, const PipelineTarget& target,
                                      const std::map<std::string, std::string>& variables) {
  const CiContext& context = api.context();
  ApiCall call;
  call.method = "POST";
  if (target.forge == Forge::kGitLab) {
    call.path = fmt::format("/projects/{}/trigger/pipeline", EncodePathSegment(target.project));
    call.body =
        Json{{"token", context.token.Reveal()}, {"ref", target.ref}, {"variables", variables}}
            .dump();
    call.token_in_body = true;
    call.what = fmt::format("starting a pipeline of project {} on {}", target.project, target.ref);
    call.not_found =
        fmt::format("check the project ({}) and that {} holds one of its pipeline trigger tokens",
                    target.project, context.token_variable);
    call.permission = "a trigger token whose owner may run pipelines on " + target.ref;
    ASSIGN_OR_RETURN(Json answer, api.SendJson(call));
    StartedPipeline started;
    if (answer.is_object()) {
      auto id = answer.find("id");
      if (id != answer.end() && id->is_number_integer())
        started.id = std::to_string(id->get<int64_t>());
      auto url = answer.find("web_url");
      if (url != answer.end() && url->is_string())
        started.url = url->get<std::string>();
    }
    return started;
  }
  call.path = fmt::format("/repos/{}/actions/workflows/{}/dispatches", target.project,
                          EncodePathSegment(target.workflow));
  call.body = Json{{"ref", target.ref}}.dump();
  call.what = fmt::format("dispatching workflow {} of {} on {}", target.workflow, target.project,
                          target.ref);
  call.not_found =
      fmt::format("check the repository ({}), the workflow file ({}) and that it is on {}",
                  target.project, target.workflow, target.ref);
  call.permission = "actions: write";
  ASSIGN_OR_RETURN(HttpResponse response, api.Send(call));
  (void)response;
  return StartedPipeline{.url = fmt::format("{}/{}/actions/workflows/{}", context.server_url,
                                            target.project, EncodePathSegment(target.workflow))};
}

}  // namespace conveyor::ci
