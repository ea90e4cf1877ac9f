#include "serving/http_types.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/strings.h"

namespace conveyor::serving {

std::string HttpRequest::Header(std::string_view name) const {
  // Keys are stored lower-cased; the scan keeps `name` case-insensitive
  // without allocating (requests carry a handful of headers).
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) {
      return value;
    }
  }
  return "";
}

HttpResponse JsonError(int status, std::string_view code, std::string_view message) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  // Messages may quote client input (a path, a header): invalid UTF-8 is
  // replaced rather than thrown on.
  HttpResponse response =
      JsonResponse(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), status);
  response.error_kind = code;
  return response;
}

std::string FormatClosingResponse(const HttpResponse& response, std::string_view reason,
                                  std::string_view server_name) {
  std::string extra;
  for (const auto& [name, value] : response.headers)
    extra += fmt::format("{}: {}\r\n", name, value);
  return fmt::format(
      "HTTP/1.1 {} {}\r\nServer: {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}"
      "Connection: close\r\n\r\n{}",
      response.status, reason, server_name, response.content_type, response.body.size(), extra,
      response.body);
}

HttpResponse JsonResponse(std::string body, int status) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

}  // namespace conveyor::serving
