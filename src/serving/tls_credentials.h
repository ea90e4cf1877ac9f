// TLS for `conveyor serve`: a certificate chain and its private key, read
// from PEM files into an OpenSSL server context that new connections use.
// Reload() reads the files again (on SIGHUP, after a certificate renewal);
// connections already open keep the context they started with, and a failed
// reload keeps serving the previous certificate.
//
//   ASSIGN_OR_RETURN(auto tls, TlsCredentials::Load({cert, key}));
//   options.tls = tls.get();                  // HttpServerOptions
//   ... on SIGHUP: if (Status s = tls->Reload(); !s.ok()) log(s) ...
//
// The context offers TLS 1.2 and 1.3 only, with OpenSSL's default cipher
// lists for them, and announces "http/1.1" through ALPN.
//
// Thread safety: every method may be called from any thread; Current() is
// cheap (a lock and a shared_ptr copy) and is called once per connection.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"

namespace boost::asio::ssl {
class context;
}

namespace conveyor::serving {

struct TlsPaths {
  // PEM: the server certificate first, then any intermediates.
  std::filesystem::path certificate;
  // PEM private key (unencrypted) matching the certificate.
  std::filesystem::path key;
};

class TlsCredentials {
 public:
  // Errors (kInvalid, kNotFound, kIo) name the file at fault and why: not
  // readable, no PEM certificate or key in it, an expired certificate, or a
  // key that does not match the certificate.
  static Result<std::unique_ptr<TlsCredentials>> Load(TlsPaths paths);
  ~TlsCredentials();
  TlsCredentials(const TlsCredentials&) = delete;
  TlsCredentials& operator=(const TlsCredentials&) = delete;

  // Reads both files again. On success new connections get the new context;
  // on error nothing changes and the error says so.
  Status Reload();

  // The context for a new connection; never null.
  std::shared_ptr<boost::asio::ssl::context> Current() const;

  // What is being served, for logs: "CN=localhost, serial 1F, expires
  // 2027-11-27 18:00:00 UTC (from server.pem)".
  std::string Describe() const;

  const TlsPaths& paths() const { return paths_; }

 private:
  struct Loaded;
  TlsCredentials(TlsPaths paths, std::shared_ptr<boost::asio::ssl::context> context,
                 std::string description);
  static Result<Loaded> Read(const TlsPaths& paths);

  const TlsPaths paths_;  // constant after construction

  std::mutex reload_mu_;  // held for a whole Reload()
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> current_;  // guarded by mu_
  std::string description_;                             // guarded by mu_
};

}  // namespace conveyor::serving
