#include "ci/curl_http_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

#include "common/strings.h"

namespace conveyor::ci {

namespace {

// What a header line may have around its name and value (RFC 9110's OWS,
// and the line end curl leaves on it).
constexpr std::string_view kBlanks = " \t\r\n";

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Exchange {
  HttpResponse* response = nullptr;
  size_t max_body = 0;
  bool too_big = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  size_t bytes = size * count;
  if (exchange->response->body.size() + bytes > exchange->max_body) {
    exchange->too_big = true;
    return 0;  // aborts the transfer
  }
  exchange->response->body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  std::string_view line(data, size * count);
  if (line.substr(0, 5) == "HTTP/") {
    exchange->response->headers.clear();  // a new response (after 100 Continue)
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(TrimBlanks(line.substr(0, colon), kBlanks));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    exchange->response->headers.emplace_back(
        std::move(name), std::string(TrimBlanks(line.substr(colon + 1), kBlanks)));
  }
  return size * count;
}

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

CurlHttpClient::CurlHttpClient(CurlHttpClientOptions options) : options_(options) {
  GlobalInitOnce();
}

Result<HttpResponse> CurlHttpClient::Send(const HttpRequest& request) {
  std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
  if (!handle) {
    return Error(Code::kInternal, "{} {}: curl_easy_init failed", request.method, request.url);
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const auto& [name, value] : request.headers) {
    std::string line = fmt::format("{}: {}", name, value);
    curl_slist* appended = curl_slist_append(headers.get(), line.c_str());
    if (appended == nullptr) {
      return Error(Code::kInternal, "{} {}: out of memory building headers", request.method,
                   request.url);
    }
    static_cast<void>(headers.release());
    headers.reset(appended);
  }
  // No "Expect: 100-continue" round trip before uploads.
  curl_slist* appended = curl_slist_append(headers.get(), "Expect:");
  static_cast<void>(headers.release());
  headers.reset(appended);

  HttpResponse response;
  Exchange exchange{&response, options_.max_response_bytes};
  char error_buffer[CURL_ERROR_SIZE] = {0};
  CURL* h = handle.get();
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &exchange);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &exchange);
  if (request.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  CURLcode code = curl_easy_perform(h);
  if (exchange.too_big) {
    return Error(Code::kUnavailable, "{} {}: the answer is larger than {} bytes", request.method,
                 request.url, options_.max_response_bytes);
  }
  if (code != CURLE_OK) {
    return Error(Code::kUnavailable, "{} {}: {}", request.method, request.url,
                 error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace conveyor::ci
