#include "common/memory_trim.h"

// Any C library header defines __GLIBC__ (through <features.h>); without one
// the test below would silently compile the no-op.
#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace conveyor {

void TrimFreedMemory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace conveyor
