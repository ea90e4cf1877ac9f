// HttpClient over libcurl: HTTPS with peer and host verification on (the
// system's CA store), HTTP and HTTPS only, no redirects followed (a redirect
// must not carry the token to another host; the forges' APIs do not
// redirect), no proxy other than libcurl's usual environment variables.
//
// Thread safety: Send may be called from several threads at once (each call
// uses its own easy handle).
#pragma once

#include <chrono>
#include <cstddef>

#include "ci/http_client.h"

namespace conveyor::ci {

struct CurlHttpClientOptions {
  // Time to connect (TCP and TLS). Default: 10 s.
  std::chrono::seconds connect_timeout{10};
  // Time for the whole exchange, upload included. Default: 120 s.
  std::chrono::seconds timeout{120};
  // Largest response body kept; longer bodies are a transport error.
  // Default: 32 MiB.
  size_t max_response_bytes = size_t{32} << 20;
};

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlHttpClientOptions options = {});

  Result<HttpResponse> Send(const HttpRequest& request) override;

 private:
  const CurlHttpClientOptions options_;
};

}  // namespace conveyor::ci
