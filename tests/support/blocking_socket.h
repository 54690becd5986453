// Blocking loopback sockets for test clients, safe against EINTR.
//
// A thread that has run a Reactor receives io_uring task work after the ring is gone (the
// kernel cancels what was still pending, e.g. the reactor's wake-up poll). That work is
// delivered like a signal: a blocking socket call with a timeout (SO_RCVTIMEO/SO_SNDTIMEO)
// then fails with EINTR instead of being restarted (measured: 167 of 200 recv calls right
// after a ring exit). Test clients must retry; these helpers do.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ec::test {

// A connected TCP socket to 127.0.0.1:port with send/receive timeouts of `timeout_ms`
// (0: none); -1 on failure, with the reason in *error when given.
int connect_loopback(uint16_t port, int timeout_ms, std::string* error = nullptr);

// Sends all of `data` (MSG_NOSIGNAL); false on error or timeout.
bool send_all(int fd, std::string_view data);

// recv(2) retried on EINTR: > 0 bytes, 0 at end of stream, -1 with errno (EAGAIN: timeout).
ssize_t recv_some(int fd, void* buf, size_t len);

}  // namespace ec::test
