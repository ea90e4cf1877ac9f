// Tests of the S3 backend against a real S3-compatible server (s3rver from
// tests/s3, started on a free loopback port in a temp directory and killed
// at the end), a tiny fake HTTP server that fails on purpose, and the pure
// parts (XML, credentials, retry policy).
#include "remote/s3_storage.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/file_util.h"
#include "common/md5.h"
#include "remote/s3_credentials.h"
#include "remote/s3_xml.h"
#include "testing/loopback.h"
#include "testing/time_scale.h"

extern char** environ;

namespace conveyor {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr auto FreePort = &testing::FreeLoopbackPort;
constexpr auto CanConnect = &testing::CanConnectLoopback;
constexpr auto Pattern = &testing::PseudoRandomBytes;

fs::path MakeTempDir() {
  std::string pattern = (fs::temp_directory_path() / "conveyor-s3-XXXXXX").string();
  return fs::path(mkdtemp(pattern.data()));
}

EnvLookup NoEnv() {
  return [](const char*) { return std::optional<std::string>(); };
}

S3Tuning FastTuning() {
  S3Tuning tuning;
  tuning.max_attempts = 3;
  tuning.backoff_base = milliseconds(10);
  tuning.backoff_cap = milliseconds(50);
  tuning.connect_timeout = std::chrono::seconds(5);
  tuning.read_timeout = std::chrono::seconds(10);
  tuning.env = NoEnv();
  return tuning;
}

RemoteConfig S3Remote(int port, std::string key = "S3RVER", std::string secret = "S3RVER") {
  RemoteConfig remote;
  remote.name = "storage";
  remote.url = "s3://bucket/store";
  remote.options = {{"endpointurl", fmt::format("http://127.0.0.1:{}", port)},
                    {"access_key_id", std::move(key)},
                    {"secret_access_key", std::move(secret)}};
  return remote;
}

void WriteFile(const fs::path& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

// s3rver with one bucket, "bucket", for the whole suite.
class S3rverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::path bin = fs::path(CONVEYOR_S3RVER_DIR) / "node_modules/s3rver/bin/s3rver.js";
    if (!fs::exists(bin)) {
      return;
    }
    dir_ = MakeTempDir();
    port_ = FreePort();
    std::string port = std::to_string(port_);
    std::string data = (dir_ / "data").string();
    // --openssl-legacy-provider: s3rver encrypts its ListObjectsV2
    // continuation tokens with DES, which Node 20's OpenSSL 3 keeps there.
    std::vector<std::string> args = {"node",
                                     "--openssl-legacy-provider",
                                     bin.string(),
                                     "-d",
                                     data,
                                     "-a",
                                     "127.0.0.1",
                                     "-p",
                                     port,
                                     "--silent",
                                     "--configure-bucket",
                                     "bucket"};
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "node", nullptr, nullptr, argv.data(), environ) != 0) {
      pid_ = 0;
      return;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!CanConnect(port_) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = 0;
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void SetUp() override {
    if (pid_ == 0) {
      GTEST_SKIP() << "s3rver not installed (run scripts/install-deps.sh)";
    }
    ASSERT_TRUE(CanConnect(port_)) << "s3rver did not start on port " << port_;
    local_ = MakeTempDir();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(local_, ec);
  }

  std::unique_ptr<RemoteStorage> Open(const S3Tuning& tuning = FastTuning()) {
    auto storage = OpenS3Storage(S3Remote(port_), tuning);
    EXPECT_TRUE(storage.ok()) << storage.status().ToString();
    return std::move(storage).value();
  }

  static inline pid_t pid_ = 0;
  static inline int port_ = 0;
  static inline fs::path dir_;
  fs::path local_;
};

TEST_F(S3rverTest, UploadExistsDownloadSmall) {
  auto s3 = Open();
  EXPECT_EQ(s3->Describe(), "s3://bucket/store");
  std::string data = "hello, bucket";
  WriteFile(local_ / "in", data);
  uint64_t last = 0;
  ASSERT_TRUE(s3->Upload(local_ / "in", "files/md5/ab/cdef", [&](uint64_t n) { last = n; }).ok());
  auto exists = s3->Exists("files/md5/ab/cdef");
  ASSERT_TRUE(exists.ok()) << exists.status().ToString();
  EXPECT_TRUE(*exists);
  Result<FileDigest> got = s3->Download("files/md5/ab/cdef", local_ / "out");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*ReadFileToString(local_ / "out"), data);
  EXPECT_EQ(*got, (FileDigest{Md5Hex(data), data.size()}));
  EXPECT_EQ(last, data.size());
  // Only the destination is left: written in place, no temporary file.
  EXPECT_EQ(std::distance(fs::directory_iterator(local_), fs::directory_iterator()), 2);
}

TEST_F(S3rverTest, KeysWithAwkwardCharacters) {
  auto s3 = Open();
  WriteFile(local_ / "in", "x");
  std::string key = "dir/a b&c+d=é<>.txt";
  ASSERT_TRUE(s3->Upload(local_ / "in", key).ok());
  EXPECT_TRUE(*s3->Exists(key));
  auto listed = s3->List("dir/");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ((*listed)[0].key, key);
}

TEST_F(S3rverTest, MultipartUpload) {
  S3Tuning tuning = FastTuning();
  tuning.multipart_threshold = 5 << 20;
  tuning.part_size = 5 << 20;
  auto s3 = Open(tuning);
  std::string data = Pattern((11 << 20) + 123, 7);  // three parts, the last short
  WriteFile(local_ / "big", data);
  uint64_t last = 0;
  Status up = s3->Upload(local_ / "big", "big/object", [&](uint64_t n) { last = n; });
  ASSERT_TRUE(up.ok()) << up.ToString();
  EXPECT_EQ(last, data.size());
  Result<FileDigest> got = s3->Download("big/object", local_ / "back");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*ReadFileToString(local_ / "back") == data);
  EXPECT_EQ(*got, (FileDigest{Md5Hex(data), data.size()}));
  auto listed = s3->List("big/");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ((*listed)[0].size, data.size());
}

TEST_F(S3rverTest, MultipartPartsInParallelAssembleInOrder) {
  S3Tuning tuning = FastTuning();
  tuning.multipart_threshold = 5 << 20;
  tuning.part_size = 5 << 20;
  tuning.part_jobs = 3;
  auto s3 = Open(tuning);
  std::string data = Pattern((31 << 20) + 77, 11);  // seven parts, the last short
  WriteFile(local_ / "big", data);
  std::mutex mu;
  std::vector<uint64_t> seen;
  Status up = s3->Upload(local_ / "big", "big/parallel", [&](uint64_t n) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(n);
  });
  ASSERT_TRUE(up.ok()) << up.ToString();
  ASSERT_FALSE(seen.empty());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.back(), data.size());
  ASSERT_TRUE(s3->Download("big/parallel", local_ / "back").ok());
  EXPECT_TRUE(*ReadFileToString(local_ / "back") == data);
}

TEST_F(S3rverTest, InMemoryAndStreamedUploadsRoundTrip) {
  S3Tuning tuning = FastTuning();
  tuning.in_memory_upload_limit = 1000;
  auto s3 = Open(tuning);
  for (size_t size : {size_t{0}, size_t{1000}, size_t{1001}, size_t{3} << 20}) {
    std::string data = Pattern(size, static_cast<unsigned>(size));
    WriteFile(local_ / "in", data);
    uint64_t last = 0;
    std::string key = "sizes/" + std::to_string(size);
    ASSERT_TRUE(s3->Upload(local_ / "in", key, [&](uint64_t n) { last = n; }).ok()) << size;
    EXPECT_EQ(last, size);
    Result<FileDigest> got = s3->Download(key, local_ / "out");
    ASSERT_TRUE(got.ok()) << size;
    EXPECT_TRUE(*ReadFileToString(local_ / "out") == data) << size;
    EXPECT_EQ(*got, (FileDigest{Md5Hex(data), size})) << size;
  }
}

TEST_F(S3rverTest, ListPagesThroughContinuationTokens) {
  S3Tuning tuning = FastTuning();
  tuning.list_page_size = 7;
  auto s3 = Open(tuning);
  WriteFile(local_ / "in", "abc");
  std::set<std::string> expected;
  for (int i = 0; i < 23; ++i) {
    std::string key = fmt::format("listing/{:02x}/obj{}", i, i);
    ASSERT_TRUE(s3->Upload(local_ / "in", key).ok());
    expected.insert(key);
  }
  WriteFile(local_ / "other", "z");
  ASSERT_TRUE(s3->Upload(local_ / "other", "elsewhere/x").ok());
  auto listed = s3->List("listing/");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  std::set<std::string> got;
  for (const RemoteObject& object : *listed) {
    got.insert(object.key);
    EXPECT_EQ(object.size, 3U);
  }
  EXPECT_EQ(got, expected);
  EXPECT_TRUE(s3->List("nothing-here/")->empty());
}

TEST_F(S3rverTest, ParallelTransfersFromManyThreads) {
  auto s3 = Open();
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        std::string name = fmt::format("t{}-{}", t, i);
        std::string data = Pattern(1000 + i, t * 10 + i);
        WriteFile(local_ / name, data);
        if (!s3->Upload(local_ / name, "parallel/" + name).ok() ||
            !s3->Download("parallel/" + name, local_ / (name + ".back")).ok() ||
            *ReadFileToString(local_ / (name + ".back")) != data) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(s3->List("parallel/")->size(), 20U);
}

TEST_F(S3rverTest, MissingKeyIsNotFound) {
  auto s3 = Open();
  auto exists = s3->Exists("files/md5/00/missing");
  ASSERT_TRUE(exists.ok());
  EXPECT_FALSE(*exists);
  Status status = s3->Download("files/md5/00/missing", local_ / "out").status();
  EXPECT_EQ(status.code(), Code::kNotFound) << status.ToString();
  EXPECT_EQ(status.message(), "s3://bucket/store/files/md5/00/missing: no such object");
  EXPECT_FALSE(fs::exists(local_ / "out"));
  EXPECT_TRUE(fs::is_empty(local_));
}

TEST_F(S3rverTest, MissingBucketIsNotFound) {
  RemoteConfig remote = S3Remote(port_);
  remote.url = "s3://no-such-bucket";
  auto s3 = OpenS3Storage(remote, FastTuning());
  ASSERT_TRUE(s3.ok());
  auto listed = (*s3)->List("");
  EXPECT_EQ(listed.status().code(), Code::kNotFound) << listed.status().ToString();
  EXPECT_NE(listed.status().message().find("no such bucket 'no-such-bucket'"), std::string::npos);
}

// s3rver 3.7.1 checks the access key id of a SigV4 request but not its
// signature (its SigV4 verification is unimplemented), so a wrong secret is
// tested against the fake server below instead.
TEST_F(S3rverTest, UnknownAccessKeyIsAccessDenied) {
  auto s3 = OpenS3Storage(S3Remote(port_, "NOSUCHKEY", "secret-value"), FastTuning());
  ASSERT_TRUE(s3.ok());
  auto listed = (*s3)->List("files/");
  EXPECT_EQ(listed.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(listed.status().message(),
            "s3://bucket/store: access denied (InvalidAccessKeyId): check the credentials (from "
            "remote options)");
  WriteFile(local_ / "in", "x");
  Status up = (*s3)->Upload(local_ / "in", "k");
  EXPECT_EQ(up.message(),
            "s3://bucket/store/k: access denied (InvalidAccessKeyId): check the credentials (from "
            "remote options)");
  EXPECT_EQ(up.message().find("secret-value"), std::string::npos);
}

TEST(S3StorageTest, ServerDownIsUnavailableAfterRetries) {
  int port = FreePort();  // nothing listens there
  auto s3 = OpenS3Storage(S3Remote(port), FastTuning());
  ASSERT_TRUE(s3.ok());
  auto start = std::chrono::steady_clock::now();
  auto exists = (*s3)->Exists("files/md5/ab/cd");
  EXPECT_EQ(exists.status().code(), Code::kUnavailable);
  EXPECT_NE(exists.status().message().find(fmt::format(
                "s3://bucket/store/files/md5/ab/cd: cannot reach http://127.0.0.1:{}", port)),
            std::string::npos)
      << exists.status().message();
  EXPECT_NE(exists.status().message().find("after 3 attempts"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, testing::Scaled(std::chrono::seconds(5)));
}

// A one-thread HTTP server answering each request with the next canned
// response; records the request lines.
class FakeHttpServer {
 public:
  explicit FakeHttpServer(std::vector<std::string> responses) : responses_(std::move(responses)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(fd_, 8);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeHttpServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  int requests() const { return requests_; }
  // "METHOD /path?query" of each request served, in order; read after the
  // client is done.
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  void Serve() {
    for (const std::string& response : responses_) {
      int client = accept(fd_, nullptr, nullptr);
      if (client < 0) {
        return;
      }
      timeval timeout{5, 0};
      setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t got = recv(client, buffer, sizeof buffer, 0);
        if (got <= 0) {
          break;
        }
        request.append(buffer, static_cast<size_t>(got));
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        lines_.push_back(request.substr(0, request.find(" HTTP/")));
      }
      ++requests_;
      send(client, response.data(), response.size(), MSG_NOSIGNAL);
      close(client);
    }
  }

  std::vector<std::string> responses_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::vector<std::string> lines_;  // guarded by mu_
  std::thread thread_;
};

std::string HttpResponse(int status, const std::string& reason, const std::string& body) {
  return fmt::format("HTTP/1.1 {} {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", status,
                     reason, body.size(), body);
}

TEST(S3StorageTest, RetriesServerErrorsThenSucceeds) {
  std::string error = "<Error><Code>InternalError</Code><Message>try again</Message></Error>";
  FakeHttpServer server({HttpResponse(500, "Internal Server Error", error),
                         HttpResponse(503, "Slow Down", "<Error><Code>SlowDown</Code></Error>"),
                         HttpResponse(200, "OK", "payload")});
  auto s3 = OpenS3Storage(S3Remote(server.port()), FastTuning());
  ASSERT_TRUE(s3.ok());
  fs::path dir = MakeTempDir();
  Result<FileDigest> got = (*s3)->Download("k", dir / "out");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(*ReadFileToString(dir / "out"), "payload");
  // Only the last attempt's bytes are hashed (error bodies are not).
  EXPECT_EQ(*got, (FileDigest{Md5Hex("payload"), 7}));
  fs::remove_all(dir);
}

TEST(S3StorageTest, GivesUpAfterMaxAttemptsAndDoesNotRetry4xx) {
  std::string error = "<Error><Code>InternalError</Code><Message>boom</Message></Error>";
  {
    FakeHttpServer server({HttpResponse(500, "Internal Server Error", error),
                           HttpResponse(500, "Internal Server Error", error),
                           HttpResponse(500, "Internal Server Error", error)});
    auto s3 = OpenS3Storage(S3Remote(server.port()), FastTuning());
    fs::path dir = MakeTempDir();
    Status status = (*s3)->Download("k", dir / "out").status();
    EXPECT_EQ(status.code(), Code::kUnavailable);
    EXPECT_EQ(status.message(),
              "s3://bucket/store/k: GET failed with InternalError: boom after 3 attempts");
    EXPECT_TRUE(fs::is_empty(dir));
    fs::remove_all(dir);
  }
  {
    FakeHttpServer server({HttpResponse(
        400, "Bad Request", "<Error><Code>InvalidArgument</Code><Message>no</Message></Error>")});
    auto s3 = OpenS3Storage(S3Remote(server.port()), FastTuning());
    auto exists = (*s3)->Exists("k");
    EXPECT_EQ(exists.status().code(), Code::kInvalid);
    EXPECT_EQ(server.requests(), 1);
  }
}

TEST(S3StorageTest, FailedMultipartUploadIsAborted) {
  FakeHttpServer server(
      {HttpResponse(200, "OK",
                    "<InitiateMultipartUploadResult><UploadId>up&amp;1</UploadId>"
                    "</InitiateMultipartUploadResult>"),
       HttpResponse(400, "Bad Request",
                    "<Error><Code>EntityTooSmall</Code><Message>small</Message></Error>"),
       HttpResponse(204, "No Content", "")});
  S3Tuning tuning = FastTuning();
  tuning.multipart_threshold = 10;
  tuning.part_size = 4;
  tuning.part_jobs = 1;  // one part at a time, so the requests come in a fixed order
  auto s3 = OpenS3Storage(S3Remote(server.port()), tuning);
  fs::path dir = MakeTempDir();
  WriteFile(dir / "in", "0123456789");
  Status status = (*s3)->Upload(dir / "in", "k");
  EXPECT_EQ(status.code(), Code::kInvalid);
  EXPECT_EQ(status.message(), "s3://bucket/store/k: PUT refused (EntityTooSmall: small)");
  EXPECT_EQ(server.lines(),
            (std::vector<std::string>{
                "POST /bucket/store/k?uploads=", "PUT /bucket/store/k?partNumber=1&uploadId=up%261",
                "DELETE /bucket/store/k?uploadId=up%261"}));
  fs::remove_all(dir);
}

TEST(S3StorageTest, KeysAServerEchoesAreMaskedInErrors) {
  RemoteConfig remote = S3Remote(0, "AKIDECHOED", "secret-echoed");
  remote.options["session_token"] = "token-echoed";
  FakeHttpServer server({HttpResponse(
      400, "Bad Request",
      "<Error><Code>InvalidArgument</Code><Message>Credential=AKIDECHOED/x with secret-echoed "
      "and token-echoed</Message></Error>")});
  remote.options["endpointurl"] = fmt::format("http://127.0.0.1:{}", server.port());
  auto s3 = OpenS3Storage(remote, FastTuning());
  ASSERT_TRUE(s3.ok());
  EXPECT_EQ((*s3)->List("").status().message(),
            "s3://bucket/store: GET refused (InvalidArgument: Credential=***/x with *** and ***)");
}

TEST(S3StorageTest, OpenRejectsBadUrls) {
  RemoteConfig remote = S3Remote(1);
  remote.url = "s3://";
  EXPECT_EQ(OpenS3Storage(remote, FastTuning()).status().code(), Code::kInvalid);
  remote = S3Remote(1);
  remote.options["endpointurl"] = "ftp://x";
  EXPECT_EQ(OpenS3Storage(remote, FastTuning()).status().code(), Code::kInvalid);
  // Credentials in URLs are refused, and not quoted.
  remote = S3Remote(1);
  remote.options["endpointurl"] = "http://minio:Hunter2@127.0.0.1:9000";
  EXPECT_EQ(OpenS3Storage(remote, FastTuning()).status().message(),
            "remote 'storage': endpointurl 'http://minio:***@127.0.0.1:9000' names a user; S3 "
            "takes its keys from access_key_id and secret_access_key (or the environment), not "
            "the URL");
  remote = S3Remote(1);
  remote.url = "s3://AKIAKEY:Hunter2@bucket/store";
  Status status = OpenS3Storage(remote, FastTuning()).status();
  EXPECT_EQ(status.code(), Code::kInvalid);
  EXPECT_EQ(status.message().find("Hunter2"), std::string::npos) << status.message();
}

TEST(S3RetryPolicyTest, Classification) {
  EXPECT_TRUE(IsRetryableS3Failure(7 /*COULDNT_CONNECT*/, 0, ""));
  EXPECT_TRUE(IsRetryableS3Failure(28 /*OPERATION_TIMEDOUT*/, 0, ""));
  EXPECT_TRUE(IsRetryableS3Failure(56 /*RECV_ERROR*/, 0, ""));
  EXPECT_FALSE(IsRetryableS3Failure(23 /*WRITE_ERROR*/, 0, ""));
  EXPECT_TRUE(IsRetryableS3Failure(0, 500, "InternalError"));
  EXPECT_TRUE(IsRetryableS3Failure(0, 503, "SlowDown"));
  EXPECT_TRUE(IsRetryableS3Failure(0, 429, ""));
  EXPECT_FALSE(IsRetryableS3Failure(0, 403, "AccessDenied"));
  EXPECT_FALSE(IsRetryableS3Failure(0, 404, "NoSuchKey"));
  EXPECT_FALSE(IsRetryableS3Failure(0, 200, ""));
}

TEST(S3RetryPolicyTest, FullJitterBackoff) {
  milliseconds base(100), cap(1000);
  EXPECT_EQ(S3BackoffDelay(1, base, cap, 0.5), milliseconds(50));
  EXPECT_EQ(S3BackoffDelay(3, base, cap, 0.5), milliseconds(200));
  EXPECT_EQ(S3BackoffDelay(10, base, cap, 0.999), milliseconds(999));
  EXPECT_EQ(S3BackoffDelay(2, base, cap, 0.0), milliseconds(0));
}

TEST(S3XmlTest, ParsesListingWithEntities) {
  std::string xml =
      "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>"
      "<Contents><Key>a&amp;b &lt;c&gt; &#233;</Key><Size>12</Size></Contents>"
      "<Contents><Key>plain</Key><Size>0</Size></Contents>"
      "<NextContinuationToken>tok&#x2F;en</NextContinuationToken></ListBucketResult>";
  auto page = ParseListObjectsV2(xml);
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->entries.size(), 2U);
  EXPECT_EQ(page->entries[0].key, "a&b <c> \xC3\xA9");
  EXPECT_EQ(page->entries[0].size, 12U);
  EXPECT_EQ(page->entries[1].key, "plain");
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_token, "tok/en");
  EXPECT_FALSE(ParseListObjectsV2("<Error><Code>x</Code></Error>").has_value());
  EXPECT_EQ(XmlText("<Error><Code>NoSuchKey</Code></Error>", "Code"), "NoSuchKey");
  EXPECT_EQ(XmlDecode("&bogus; &amp"), "&bogus; &amp");
}

TEST(S3CredentialsTest, OrderOfSources) {
  fs::path dir = MakeTempDir();
  WriteFile(dir / "credentials",
            "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n"
            "# comment\n[work]\naws_access_key_id=WORKKEY\naws_secret_access_key=worksecret\n"
            "aws_session_token = worktoken\n");
  WriteFile(dir / "config", "[default]\nregion = eu-west-1\n[profile work]\nregion = ap-south-1\n");
  std::map<std::string, std::string> env = {{"HOME", dir.string()}};
  EnvLookup lookup = [&](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  std::map<std::string, std::string> options = {{"credentialpath", (dir / "credentials").string()},
                                                {"configpath", (dir / "config").string()}};
  auto id = ResolveS3Identity(options, lookup);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->credentials.access_key_id, "FILEKEY");
  EXPECT_EQ(id->region, "eu-west-1");

  env["AWS_PROFILE"] = "work";
  id = ResolveS3Identity(options, lookup);
  EXPECT_EQ(id->credentials.access_key_id, "WORKKEY");
  EXPECT_EQ(id->credentials.session_token, "worktoken");
  EXPECT_EQ(id->region, "ap-south-1");

  env["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  env["AWS_REGION"] = "us-west-2";
  id = ResolveS3Identity(options, lookup);
  EXPECT_EQ(id->credentials.access_key_id, "ENVKEY");
  EXPECT_EQ(id->source, "environment");
  EXPECT_EQ(id->region, "us-west-2");

  options["access_key_id"] = "OPTKEY";
  options["secret_access_key"] = "optsecret";
  options["region"] = "sa-east-1";
  id = ResolveS3Identity(options, lookup);
  EXPECT_EQ(id->credentials.access_key_id, "OPTKEY");
  EXPECT_EQ(id->region, "sa-east-1");

  // Nothing anywhere: anonymous, us-east-1; a missing default file is fine,
  // a missing named one is not.
  id = ResolveS3Identity({}, NoEnv());
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->source, "none");
  EXPECT_EQ(id->region, "us-east-1");
  EXPECT_FALSE(ResolveS3Identity({{"credentialpath", (dir / "nope").string()}}, NoEnv()).ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace conveyor
