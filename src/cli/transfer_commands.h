// Helpers the transfer commands (transfer_commands.cc) share with
// `status --cloud`.
//
// Thread safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "pipeline/project.h"
#include "remote/remote_storage.h"

namespace conveyor::cli {

// The storage of remote `name`, or of core.remote when `name` is empty; a
// kUsage error saying how to add one when neither exists.
Result<std::unique_ptr<RemoteStorage>> OpenTransferRemote(const Project& project,
                                                          const std::string& name);

// "12.4 MB" (decimal units, as DVC prints them).
std::string HumanBytes(uint64_t bytes);
// "1,204".
std::string WithCommas(uint64_t n);

}  // namespace conveyor::cli
