// Linked into every test binary (conveyor_test in CMakeLists.txt): the
// descendant guard starts before main, before any thread.
#include "testing/descendant_guard.h"

namespace {

const bool kGuarded = [] {
  conveyor::testing::GuardDescendants();
  return true;
}();

}  // namespace
