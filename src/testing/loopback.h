// Test helpers for servers started on 127.0.0.1 (s3rver, sshd, our own HTTP
// fakes): a free port, whether something listens there, and reproducible
// pseudo-random bytes to move through them.
#pragma once

#include <cstddef>
#include <string>

namespace conveyor::testing {

// A loopback port nothing listens on now (the kernel's pick for port 0); -1
// when no socket could be bound.
int FreeLoopbackPort();
// Whether something accepts TCP connections on 127.0.0.1:`port`.
bool CanConnectLoopback(int port);
// `size` pseudo-random bytes, the same for the same `seed`, different across
// seeds.
std::string PseudoRandomBytes(size_t size, unsigned seed);

}  // namespace conveyor::testing
