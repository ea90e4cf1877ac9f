#include "serving/access_log.h"

#include <gtest/gtest.h>

#include <mutex>
#include <sstream>
#include <streambuf>
#include <thread>
#include <vector>

namespace conveyor::serving {
namespace {

RequestRecord Sample() {
  RequestRecord record;
  record.route = "/v2/models/{name}/infer";
  record.method = "POST";
  record.path = "/v2/models/digits/infer";
  record.status = 200;
  record.request_bytes = 1834;
  record.response_bytes = 152;
  record.duration = std::chrono::microseconds(1234);
  // 2026-01-31T12:00:00.123Z
  record.start = std::chrono::system_clock::time_point(std::chrono::milliseconds(1769860800123));
  record.request_id = "1a2b3c4d-2a";
  record.remote = "127.0.0.1:53122";
  return record;
}

TEST(AccessLogTest, FormatsOneJsonLine) {
  EXPECT_EQ(FormatAccessLogLine(Sample()),
            R"({"ts":"2026-01-31T12:00:00.123Z","request_id":"1a2b3c4d-2a",)"
            R"("remote":"127.0.0.1:53122","method":"POST","route":"/v2/models/{name}/infer",)"
            R"("path":"/v2/models/digits/infer","status":200,"bytes_in":1834,"bytes_out":152,)"
            R"("duration_ms":1.234})");
}

TEST(AccessLogTest, EscapesClientText) {
  RequestRecord record = Sample();
  record.path = "/a\"b\n\xff";
  std::string line = FormatAccessLogLine(record);
  EXPECT_NE(line.find("\"path\":\"/a\\\"b\\n\xEF\xBF\xBD\""), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(AccessLogTest, WritesWholeLinesFromManyThreads) {
  std::ostringstream out;
  AccessLog log(out);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log] {
      for (int i = 0; i < kPerThread; ++i) {
        log.OnRequest(Sample());
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  log.Flush();
  std::istringstream lines(out.str());
  std::string line;
  int count = 0;
  std::string expected = FormatAccessLogLine(Sample());
  while (std::getline(lines, line)) {
    ASSERT_EQ(line, expected);
    ++count;
  }
  EXPECT_EQ(count, kThreads * kPerThread);
}

TEST(AccessLogTest, SinkGetsNewlineTerminatedLines) {
  std::vector<std::string> got;
  AccessLog log([&got](std::string_view line) { got.emplace_back(line); });
  log.OnRequest(Sample());
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].back(), '\n');
}

TEST(AccessLogTest, NamesThePrincipalWhenATokenWasChecked) {
  RequestRecord record = Sample();
  record.principal = "ci-deployer";
  EXPECT_NE(FormatAccessLogLine(record).find(
                R"("remote":"127.0.0.1:53122","principal":"ci-deployer","method")"),
            std::string::npos);
  EXPECT_EQ(FormatAccessLogLine(Sample()).find("principal"), std::string::npos);
}

TEST(AccessLogTest, BuffersUntilFullOrTheIntervalEnds) {
  std::ostringstream out;
  const size_t line_bytes = FormatAccessLogLine(Sample()).size() + 1;
  // No backlog allowed: the thread that fills the buffer writes it.
  AccessLog log(out, {.flush_interval = std::chrono::hours(1),
                      .buffer_bytes = 3 * line_bytes,
                      .backlog_bytes = 3 * line_bytes});
  log.OnRequest(Sample());
  log.OnRequest(Sample());
  EXPECT_EQ(out.str(), "");  // neither full nor due
  log.OnRequest(Sample());   // full: written at once
  EXPECT_EQ(out.str().size(), 3 * line_bytes);
  log.OnRequest(Sample());
  log.Flush();
  EXPECT_EQ(out.str().size(), 4 * line_bytes);
}

// A stream buffer that the test thread may read while the flusher writes.
class LockedText : public std::streambuf {
 public:
  std::string text() {
    std::lock_guard lock(mu_);
    return text_;
  }

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    std::lock_guard lock(mu_);
    text_.append(s, static_cast<size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) {
      std::lock_guard lock(mu_);
      text_.push_back(static_cast<char>(c));
    }
    return c;
  }

 private:
  std::mutex mu_;
  std::string text_;
};

TEST(AccessLogTest, TheFlusherWritesAnIdleBufferAfterTheInterval) {
  LockedText text;
  std::ostream out(&text);
  AccessLog log(out, {.flush_interval = std::chrono::milliseconds(20)});
  log.OnRequest(Sample());
  // Bounded wait: the flusher thread writes the line within ~20 ms.
  for (int i = 0; i < 500 && text.text().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(text.text(), FormatAccessLogLine(Sample()) + "\n");
}

TEST(AccessLogTest, DestroyingTheLogWritesWhatIsLeft) {
  std::ostringstream out;
  {
    AccessLog log(out, {.flush_interval = std::chrono::hours(1)});
    log.OnRequest(Sample());
  }
  EXPECT_EQ(out.str(), FormatAccessLogLine(Sample()) + "\n");
}

}  // namespace
}  // namespace conveyor::serving
