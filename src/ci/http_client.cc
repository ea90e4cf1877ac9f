#include "ci/http_client.h"

#include <thread>

#include "common/strings.h"

namespace conveyor::ci {

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) {
      return value;
    }
  }
  return "";
}

std::chrono::system_clock::time_point SystemClock::Now() {
  return std::chrono::system_clock::now();
}

void SystemClock::Sleep(std::chrono::milliseconds duration) {
  std::this_thread::sleep_for(duration);
}

}  // namespace conveyor::ci
