// UTC timestamps as text, computed from the epoch with C++20's calendar
// arithmetic. Not gmtime_r: glibc's re-checks /etc/localtime on every call
// (an open and two reads per access-log line in `conveyor serve`), although
// UTC needs no time zone data at all.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace conveyor {

// "2026-11-27T08:07:20.825Z" for milliseconds since the Unix epoch (negative
// values count back from 1970).
std::string FormatUtcMillis(int64_t unix_ms);

}  // namespace conveyor
