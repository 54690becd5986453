// Signals delivered through a signalfd read on the ring.
//
// Construct a SignalSet in main() BEFORE starting any thread: it blocks the signals
// for the calling thread, and threads created afterwards inherit the mask, so the
// signals are only ever seen through the signalfd.
#pragma once

#include <signal.h>

#include <initializer_list>

#include "runtime/cancel.h"
#include "runtime/task.h"

namespace ec::rt {

class SignalSet {
  public:
    SignalSet(std::initializer_list<int> signals);
    ~SignalSet();
    SignalSet(const SignalSet&) = delete;
    SignalSet& operator=(const SignalSet&) = delete;

    // Waits for the next signal; returns its number, or -errno (-ECANCELED if cancelled).
    Task<int> wait(CancelToken tok = {});
    int fd() const noexcept { return _fd; }

  private:
    int _fd = -1;
    sigset_t _set{};
};

}  // namespace ec::rt
