#include "ci/post_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>

#include "ci/forge_api.h"
#include "ci/github_backend.h"
#include "ci/gitlab_backend.h"
#include "ci/markdown_images.h"

namespace conveyor::ci {

namespace {

Status CheckReportId(std::string_view id) {
  bool valid = !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
  });
  if (!valid) {
    return Error(Code::kInvalid, "report id \"{}\" is not 1-64 letters, digits, '.', '_' or '-'",
                 id);
  }
  return OkStatus();
}

size_t LineOf(std::string_view text, size_t offset) {
  return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
}

// Characters (UTF-8 code points), as the forges count a body's length.
size_t Chars(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

Status CheckSize(const CommentBackend& backend, std::string_view body) {
  size_t chars = Chars(body);
  if (chars > backend.MaxBodyChars()) {
    return Error(Code::kInvalid,
                 "the report is {} characters with its marker and image links; a comment on {} "
                 "holds at most {}: shorten it (fewer rows or plots)",
                 chars, backend.Target(), backend.MaxBodyChars());
  }
  return OkStatus();
}

Result<PostResult> Post(CommentBackend& backend, std::string_view markdown,
                        std::span<const ReportImage> images, const PostOptions& options) {
  std::map<std::string, const ReportImage*> by_path;
  for (const ReportImage& image : images) {
    by_path[NormalizeImagePath(image.path)] = &image;
  }
  // Which relative links name which image; unknown ones are an error.
  for (const ImageLink& link : FindImageLinks(markdown)) {
    if (IsRelativeTarget(link.target) && !by_path.contains(NormalizeImagePath(link.target))) {
      std::vector<std::string> names;
      names.reserve(by_path.size());
      for (const auto& [path, image] : by_path) {
        names.push_back(path);
      }
      return Error(Code::kInvalid, "report line {}: image {} is not among the report's images ({})",
                   LineOf(markdown, link.begin), link.target,
                   names.empty() ? "none given" : fmt::format("{}", fmt::join(names, ", ")));
    }
  }
  std::string marker = ReportMarker(options.report_id);
  RETURN_IF_ERROR(CheckSize(backend, marker + "\n" + std::string(markdown)));

  std::map<std::string, std::string> url_by_path;
  Status upload_error;
  std::string rewritten =
      RewriteImageLinks(markdown, [&](const ImageLink& link) -> std::optional<std::string> {
        if (!IsRelativeTarget(link.target) || !upload_error.ok()) {
          return std::nullopt;
        }
        std::string path = NormalizeImagePath(link.target);
        if (!options.upload_images) {
          return fmt::format("_{} (image {} not uploaded)_", link.alt.empty() ? path : link.alt,
                             path);
        }
        auto known = url_by_path.find(path);
        if (known == url_by_path.end()) {
          Result<std::string> url = backend.UploadImage(*by_path.at(path));
          if (!url.ok()) {
            upload_error = url.status();
            return std::nullopt;
          }
          known = url_by_path.emplace(path, *url).first;
        }
        std::string text(markdown.substr(link.begin, link.end - link.begin));
        text.replace(link.target_begin - link.begin, link.target_end - link.target_begin,
                     known->second);
        return text;
      });
  RETURN_IF_ERROR(upload_error);
  std::string body = marker + "\n" + rewritten;
  RETURN_IF_ERROR(CheckSize(backend, body));

  PostResult result;
  result.target = backend.Target();
  if (options.update) {
    ASSIGN_OR_RETURN(std::optional<CommentRef> existing, backend.FindComment(marker));
    if (existing) {
      ASSIGN_OR_RETURN(result.url, backend.Update(*existing, body));
      result.updated = true;
      return result;
    }
  }
  ASSIGN_OR_RETURN(result.url, backend.Create(body));
  return result;
}

}  // namespace

std::string ReportMarker(std::string_view report_id) {
  return fmt::format("<!-- conveyor-report: {} -->", report_id);
}

Result<PostResult> PostReport(const CiContext& context, std::string_view markdown,
                              std::span<const ReportImage> images, const PostOptions& options,
                              HttpClient& http, Clock& clock) {
  RETURN_IF_ERROR(CheckReportId(options.report_id));
  if (context.token.empty()) {
    return Error(Code::kPermissionDenied, "no {} token to post the report with",
                 ForgeName(context.forge));
  }
  ForgeApi api(context, http, clock, options.retry);
  std::unique_ptr<CommentBackend> backend;
  if (context.forge == Forge::kGitLab) {
    backend = std::make_unique<GitLabBackend>(api);
  } else {
    if (options.upload_images && options.github_image_branch.empty()) {
      return Error(Code::kInvalid, "no branch to commit the report's images to on GitHub");
    }
    backend = std::make_unique<GitHubBackend>(api, options.report_id, options.github_image_branch);
  }
  return Post(*backend, markdown, images, options);
}

}  // namespace conveyor::ci
