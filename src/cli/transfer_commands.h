// Helpers the transfer commands (transfer_commands.cc) share with
// `status --cloud`.
//
// Thread safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "pipeline/project.h"
#include "remote/remote_storage.h"
#include "remote/transfer.h"

namespace conveyor::cli {

// The storage of remote `name`, or of core.remote when `name` is empty; a
// kUsage error saying how to add one when neither exists.
Result<std::unique_ptr<RemoteStorage>> OpenTransferRemote(const Project& project,
                                                          const std::string& name);

// One progress line: "Pushing 12/40 objects, 1.2 MB of 4.0 MB (30%),
// 600.0 kB/s, ETA 5s" after `seconds`; the total, percentage and ETA only
// when the total size is known. The rate is the average since the start.
std::string FormatTransferProgress(std::string_view verb, const TransferProgress& p,
                                   double seconds);

// "12.4 MB" (decimal units, as DVC prints them).
std::string HumanBytes(uint64_t bytes);
// "1,204".
std::string WithCommas(uint64_t n);

}  // namespace conveyor::cli
