#include "ci/forge_api.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/redact.h"

namespace conveyor::ci {

namespace {

constexpr std::string_view kUserAgent = "conveyor/0.1.0";
constexpr size_t kMaxMessage = 300;

std::string ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

// "401 Unauthorized: Bad credentials", or "401 Unauthorized" alone when the
// API's message only repeats the status.
std::string StatusText(const HttpResponse& response) {
  std::string text = fmt::format("{}", response.status);
  std::string reason = ReasonPhrase(response.status);
  if (!reason.empty()) {
    text += " " + reason;
  }
  std::string message = ApiErrorMessage(response.body);
  if (!message.empty() && message != text && message != reason) {
    text += ": " + message;
  }
  return text;
}

std::string PathOnly(std::string_view path) { return std::string(path.substr(0, path.find('?'))); }

std::string OneLine(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  if (text.size() > kMaxMessage) {
    text.resize(kMaxMessage);
    text += "...";
  }
  return text;
}

// The URL of rel="next" in a Link header, or "".
std::string NextLink(std::string_view link) {
  while (!link.empty()) {
    size_t comma = link.find(',');
    std::string_view part = link.substr(0, comma);
    size_t open = part.find('<');
    size_t close = part.find('>');
    if (open != std::string_view::npos && close != std::string_view::npos && open < close &&
        part.find("rel=\"next\"", close) != std::string_view::npos) {
      return std::string(part.substr(open + 1, close - open - 1));
    }
    if (comma == std::string_view::npos) {
      break;
    }
    link.remove_prefix(comma + 1);
  }
  return "";
}

// `path` with its page=N query parameter set to `page`.
std::string WithPage(std::string_view path, std::string_view page) {
  std::string out(path);
  size_t query = out.find('?');
  if (query == std::string::npos) {
    return out + "?page=" + std::string(page);
  }
  size_t at = out.find("page=", query);
  while (at != std::string::npos && out[at - 1] != '?' && out[at - 1] != '&') {
    at = out.find("page=", at + 1);
  }
  if (at == std::string::npos) {
    return out + "&page=" + std::string(page);
  }
  size_t end = out.find('&', at);
  out.replace(at, end == std::string::npos ? std::string::npos : end - at,
              "page=" + std::string(page));
  return out;
}

}  // namespace

std::string ApiErrorMessage(std::string_view body) {
  nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) {
    return "";
  }
  std::string out;
  auto append = [&out](std::string_view text) {
    if (!text.empty()) {
      out += out.empty() ? "" : "; ";
      out += text;
    }
  };
  for (const char* key : {"message", "error"}) {
    auto it = json.find(key);
    if (it == json.end()) {
      continue;
    }
    if (it->is_string()) {
      append(it->get<std::string>());
    } else if (it->is_object()) {  // GitLab field errors: {"note": ["is too long"]}
      for (const auto& [field, errors] : it->items()) {
        std::vector<std::string> texts;
        for (const nlohmann::json& e :
             errors.is_array() ? errors : nlohmann::json::array({errors})) {
          texts.push_back(e.is_string() ? e.get<std::string>() : e.dump());
        }
        append(fmt::format("{} {}", field, fmt::join(texts, ", ")));
      }
    } else if (it->is_array()) {
      for (const nlohmann::json& e : *it) {
        append(e.is_string() ? e.get<std::string>() : e.dump());
      }
    }
    break;
  }
  // GitHub validation details: [{"resource": "IssueComment", "field": "body",
  // "code": "too_long"}] or [{"message": "..."}] or ["..."].
  if (auto errors = json.find("errors"); errors != json.end() && errors->is_array()) {
    for (const nlohmann::json& e : *errors) {
      if (e.is_string()) {
        append(e.get<std::string>());
      } else if (e.is_object() && e.contains("message") && e["message"].is_string()) {
        append(e["message"].get<std::string>());
      } else if (e.is_object()) {
        append(fmt::format("{} {}", e.value("field", std::string("?")),
                           e.value("code", std::string("invalid"))));
      }
    }
  }
  return OneLine(out);
}

std::string EncodePathSegment(std::string_view segment) {
  std::string out;
  for (unsigned char c : segment) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string EncodePath(std::string_view path) {
  std::string out;
  while (true) {
    size_t slash = path.find('/');
    out += EncodePathSegment(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      return out;
    }
    out += '/';
    path.remove_prefix(slash + 1);
  }
}

ForgeApi::ForgeApi(const CiContext& context, HttpClient& http, Clock& clock, RetryOptions retry)
    : context_(context), http_(http), clock_(clock), retry_(retry) {}

HttpRequest ForgeApi::BuildRequest(const ApiCall& call) const {
  HttpRequest request;
  request.method = call.method;
  request.url = context_.api_url + call.path;
  if (context_.forge == Forge::kGitLab) {
    if (!call.token_in_body)
      request.headers.emplace_back("PRIVATE-TOKEN", context_.token.Reveal());
    request.headers.emplace_back("Accept", "application/json");
  } else {
    if (!call.token_in_body)
      request.headers.emplace_back("Authorization", "Bearer " + context_.token.Reveal());
    request.headers.emplace_back("Accept", "application/vnd.github+json");
    request.headers.emplace_back("X-GitHub-Api-Version", "2022-11-28");
  }
  request.headers.emplace_back("User-Agent", std::string(kUserAgent));
  if (!call.body.empty()) {
    request.headers.emplace_back("Content-Type", call.content_type);
  }
  request.body = call.body;
  return request;
}

std::string ForgeApi::Redact(std::string text) const {
  // An API URL from the CI variables may carry a user and password.
  text = RedactUrlPasswords(text);
  const std::string& token = context_.token.Reveal();
  if (token.empty()) {
    return text;
  }
  constexpr std::string_view kRedacted = "<redacted>";
  for (size_t at = text.find(token); at != std::string::npos;
       at = text.find(token, at + kRedacted.size())) {
    text.replace(at, token.size(), kRedacted);
  }
  return text;
}

Status ForgeApi::Failure(const ApiCall& call, const Result<HttpResponse>& outcome,
                         const RetryDecision& decision, int attempts) const {
  std::string_view forge = ForgeName(context_.forge);
  std::string where = fmt::format("{} {}", call.method, PathOnly(call.path));
  std::string tries = attempts > 1 ? fmt::format(" after {} attempts", attempts) : "";
  if (!outcome.ok()) {
    return Status(Code::kUnavailable,
                  Redact(fmt::format("{} unreachable while {}: {}{}", forge, call.what,
                                     outcome.status().message(), tries)));
  }
  const HttpResponse& response = *outcome;
  std::string status = StatusText(response);
  Code code = Code::kFailed;
  std::string message;
  if (decision.kind == "rate limited") {
    code = Code::kUnavailable;
    std::string why =
        attempts >= retry_.max_attempts
            ? fmt::format("still limited{}", tries)
            : fmt::format(
                  "the limit resets in {} s, longer than conveyor waits ({} s); post again "
                  "later",
                  std::chrono::duration_cast<std::chrono::seconds>(
                      decision.requested_wait.value_or(std::chrono::milliseconds(0)))
                      .count(),
                  std::chrono::duration_cast<std::chrono::seconds>(retry_.max_wait).count());
    message = fmt::format("{} rate limit hit while {} ({}: {}): {}", forge, call.what, where,
                          status, why);
  } else if (response.status == 401) {
    code = Code::kPermissionDenied;
    std::string fix =
        context_.forge == Forge::kGitLab
            ? "it is invalid, expired or revoked; use a project or personal access token with "
              "the api scope (CI_JOB_TOKEN cannot write notes)"
            : "it is invalid or expired; pass the job's secrets.GITHUB_TOKEN or a token with " +
                  call.permission;
    message = fmt::format("{} rejected the token in {} while {} ({}: {}); {}", forge,
                          context_.token_variable, call.what, where, status, fix);
  } else if (response.status == 403) {
    code = Code::kPermissionDenied;
    message = fmt::format("{} refused {} ({}: {}): the token in {} needs {}", forge, call.what,
                          where, status, context_.token_variable, call.permission);
  } else if (response.status == 404) {
    code = Code::kNotFound;
    message = fmt::format("{} found nothing while {} ({}: {}): {}", forge, call.what, where, status,
                          call.not_found);
  } else if (response.status == 400 || response.status == 409 || response.status == 422) {
    code = Code::kInvalid;
    message = fmt::format("{} rejected {} ({}: {})", forge, call.what, where, status);
  } else if (response.status >= 500) {
    code = Code::kUnavailable;
    message = fmt::format("{} failed while {} ({}: {}){}", forge, call.what, where, status, tries);
  } else {
    message = fmt::format("{} answered {} while {} ({})", forge, status, call.what, where);
  }
  return Status(code, Redact(message));
}

Result<HttpResponse> ForgeApi::Send(const ApiCall& call) {
  HttpRequest request = BuildRequest(call);
  std::chrono::milliseconds waited{0};
  for (int attempt = 1;; ++attempt) {
    Result<HttpResponse> outcome = http_.Send(request);
    if (outcome.ok()) {
      int status = outcome->status;
      if ((status >= 200 && status < 300) ||
          std::find(call.pass_through.begin(), call.pass_through.end(), status) !=
              call.pass_through.end()) {
        return outcome;
      }
    }
    RetryDecision decision = DecideRetry(outcome, attempt, waited, clock_.Now(), retry_);
    if (!decision.retry) {
      return Failure(call, outcome, decision, attempt);
    }
    clock_.Sleep(decision.wait);
    waited += decision.wait;
  }
}

Result<nlohmann::json> ForgeApi::SendJson(const ApiCall& call) {
  ASSIGN_OR_RETURN(HttpResponse response, Send(call));
  nlohmann::json json = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return Error(Code::kFailed, "{} answered {} {} with a body that is not JSON while {}",
                 ForgeName(context_.forge), call.method, PathOnly(call.path), call.what);
  }
  return json;
}

Result<std::vector<nlohmann::json>> ForgeApi::GetAll(const ApiCall& call, int max_pages) {
  std::vector<nlohmann::json> items;
  ApiCall page = call;
  for (int n = 1; n <= max_pages; ++n) {
    ASSIGN_OR_RETURN(HttpResponse response, Send(page));
    nlohmann::json json = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    if (!json.is_array()) {
      return Error(Code::kFailed,
                   "{} answered GET {} with something other than a JSON list while {}",
                   ForgeName(context_.forge), PathOnly(page.path), call.what);
    }
    for (nlohmann::json& item : json) {
      items.push_back(std::move(item));
    }
    std::string next = NextLink(response.Header("link"));
    if (!next.empty()) {
      if (next.rfind(context_.api_url + "/", 0) != 0) {
        return Error(Code::kFailed,
                     "{} sent a next-page link outside its API ({}) while {}; not following it",
                     ForgeName(context_.forge), Redact(next), call.what);
      }
      page.path = next.substr(context_.api_url.size());
    } else if (std::string next_page = response.Header("x-next-page"); !next_page.empty()) {
      page.path = WithPage(page.path, next_page);
    } else {
      return items;
    }
  }
  return items;  // a bounded search: past max_pages, what was read is what there is
}

}  // namespace conveyor::ci
