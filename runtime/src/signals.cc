#include "runtime/signals.h"

#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "runtime/reactor.h"

namespace ec::rt {

SignalSet::SignalSet(std::initializer_list<int> signals) {
    sigemptyset(&_set);
    for (int s : signals)
        sigaddset(&_set, s);
    pthread_sigmask(SIG_BLOCK, &_set, nullptr);
    _fd = signalfd(-1, &_set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (_fd < 0) throw std::runtime_error(std::string("signalfd: ") + strerror(errno));
}

SignalSet::~SignalSet() {
    if (_fd >= 0) ::close(_fd);
}

Task<int> SignalSet::wait(CancelToken tok) {
    signalfd_siginfo info{};
    int fd = _fd;
    for (;;) {
        int r = co_await uring_op(
            [fd, &info](io_uring_sqe* s) { io_uring_prep_read(s, fd, &info, sizeof info, 0); }, tok);
        if (r == static_cast<int>(sizeof info)) co_return static_cast<int>(info.ssi_signo);
        if (r == -EAGAIN || r == -EINTR) {
            // Non-blocking signalfd with nothing pending: wait for readability.
            int p = co_await uring_op([fd](io_uring_sqe* s) { io_uring_prep_poll_add(s, fd, POLLIN); }, tok);
            if (p < 0) co_return p;
            continue;
        }
        co_return r < 0 ? r : -EIO;
    }
}

}  // namespace ec::rt
