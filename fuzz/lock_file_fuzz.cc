// dvc.lock: the lock-file reader. Input: the file.
#include "fuzz/fuzz_target.h"
#include "pipeline/lock_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace conveyor;
  auto lock = ParseLockFile(fuzz::AsText(data, size), "dvc.lock");
  if (lock.ok()) {
    // What we accept, we can write and read back.
    auto text = FormatLockFile(*lock);
    if (text.ok() && !ParseLockFile(*text, "dvc.lock").ok()) {
      __builtin_trap();
    }
  }
  return 0;
}
