// Runs a function over indices [0, count) on a few threads.
#pragma once

#include <cstddef>
#include <functional>

#include "common/status.h"

namespace conveyor {

// Calls fn(i) for every i in [0, count), spread over at most `threads`
// threads (the calling thread included; <= 1 runs everything inline). After
// the first error no new indices are started; that error is returned.
// `fn` must be safe to call concurrently for distinct indices.
Status ParallelFor(size_t count, int threads, const std::function<Status(size_t)>& fn);

// The default worker count: hardware_concurrency(), at least 1.
int DefaultThreadCount();

}  // namespace conveyor
