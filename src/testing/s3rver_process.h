// A throwaway S3-compatible server for tests: s3rver (tests/s3, installed by
// scripts/install-deps.sh) on 127.0.0.1, one bucket "bucket", its objects
// kept in a data directory the caller may inspect or tamper with. Kill()
// stops it abruptly (SIGKILL, as a crashed host would) and Restart() brings
// it back on the same port and data directory, for fault tests.
//
// Thread safety: one owner; Kill() may be called from another thread while
// the owner is not calling Start/Restart (the transfer engine's progress
// callback does this).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "common/status.h"

namespace conveyor::testing {

class S3rverProcess {
 public:
  // Starts s3rver from `s3rver_dir` (the folder holding node_modules/s3rver)
  // on a free loopback port with `data_dir` as its store, and waits up to
  // 20 s for it to accept connections. kNotFound when s3rver is not
  // installed (callers skip), kFailed when it does not come up.
  static Result<std::unique_ptr<S3rverProcess>> Start(const std::filesystem::path& s3rver_dir,
                                                      const std::filesystem::path& data_dir);
  // Kills the server if it still runs.
  ~S3rverProcess();
  S3rverProcess(const S3rverProcess&) = delete;
  S3rverProcess& operator=(const S3rverProcess&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:PORT".
  std::string endpoint() const;
  // Where an object's bytes live: s3rver stores "bucket/key" as
  // <data>/bucket/key._S3rver_object.
  std::filesystem::path ObjectFile(const std::string& bucket, const std::string& key) const;

  // s3rver writes objects in place (object, then .md5, then metadata.json),
  // so a SIGKILL can leave an object whose metadata file is empty or cut
  // short, which makes every later listing of its prefix fail with 500
  // InternalError. A crash-safe store (S3 itself) never shows such an
  // object; this removes them, as that store's recovery would. Call while
  // the server is stopped. Returns how many objects were removed.
  int RemoveTornObjects() const;

  // SIGKILL, then reaps the process. Idempotent.
  void Kill();
  // Starts it again on the same port and data directory (waits as Start),
  // after RemoveTornObjects.
  Status Restart();

 private:
  S3rverProcess(std::filesystem::path bin, std::filesystem::path data_dir, int port)
      : bin_(std::move(bin)), data_dir_(std::move(data_dir)), port_(port) {}
  Status Launch();

  // Constant after construction.
  const std::filesystem::path bin_;
  const std::filesystem::path data_dir_;
  const int port_;
  std::atomic<pid_t> pid_{0};
};

}  // namespace conveyor::testing
