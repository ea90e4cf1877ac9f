// Nothing a test binary started outlives it.
//
// End-to-end tests start servers, request loops and stage commands in the
// background through the shell; those are re-parented to init the moment
// the shell exits. When ctest's timeout SIGKILLs a test binary (it signals
// that process alone), or a failed assertion skips a test's clean-up, they
// would keep running, serving and polling for as long as nobody notices.
//
// GuardDescendants() marks this process's environment with
// CONVEYOR_TEST_OWNER=<pid>, which every process it starts inherits, and
// starts a watcher (not its child) that waits for this process to end,
// however it ends: a pipe whose write end only this process holds reads EOF,
// or /proc shows the pid gone or a zombie (checked every 200 ms). The
// watcher then SIGKILLs every other process whose environment carries the
// mark, until none is left (bounded: 10 s), and exits.
//
// Two kinds of process escape the mark: one that clears its environment,
// and a child forked without exec (setenv changes this process's memory,
// which /proc/<pid>/environ does not show). The tests start neither.
#pragma once

namespace conveyor::testing {

// Starts the watcher once per process; later calls do nothing. Call it
// before any thread starts (it sets an environment variable): every test
// binary calls it from a static initializer (descendant_guard_init.cc). Aborts, naming the call,
// when the pipe or the fork fails.
void GuardDescendants();

// What GuardDescendants() does, every time it is called: marks this process
// (replacing an inherited mark) and starts a watcher for it. For tests of the
// guard, from a forked child.
void StartDescendantWatcher();

}  // namespace conveyor::testing
