// Giving freed heap memory back to the operating system.
//
// glibc's malloc keeps freed blocks for reuse, per arena (one per thread that
// allocated). Loading a model parses megabytes of JSON whose buffers are all
// freed again afterwards; without a trim they stay in the process's resident
// set for good, and each model swap on another request thread grows another
// arena. `conveyor serve` trims after a load and after freeing an old model
// (docs/serving.md, "Memory": about 13 MB of the idle server's RSS).
//
// Thread safety: may be called from any thread; other threads' allocations
// wait while their arena is being trimmed (a few milliseconds at most).
#pragma once

namespace conveyor {

// Returns free memory at the top of every malloc arena, and free whole pages
// inside them, to the kernel. A no-op where the C library has no such call.
void TrimFreedMemory();

}  // namespace conveyor
