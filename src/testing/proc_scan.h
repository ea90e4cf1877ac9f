// The processes on this machine, from /proc, for test helpers that clean up
// after the processes a test started (child_process.h, descendant_guard.h).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace conveyor::testing {

// Every pid in /proc now (this process included).
std::vector<pid_t> ListProcesses();

// /proc/<pid>/<name>'s content, or "" when it cannot be read (the process
// may exit while we read it).
std::string ReadProcFile(pid_t pid, const char* name);

// Whether `pid` has ended: gone from /proc, or a zombie its parent has not
// reaped yet.
bool ProcessEnded(pid_t pid);

}  // namespace conveyor::testing
