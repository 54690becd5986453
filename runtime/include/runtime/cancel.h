// Cooperative cancellation: CancelSource / CancelToken.
//
// Operations that accept a CancelToken register a CancelCallback while they are in
// flight. cancel() runs every registered callback once, synchronously, on the calling
// thread. I/O operations react by submitting IORING_OP_ASYNC_CANCEL and then still wait
// for their own completion (the lifetime rule: nothing is resumed or freed before the
// kernel has let go of it).
//
// Core affinity: a source and its callbacks belong to one reactor thread.
#pragma once

#include <utility>

namespace ec::rt {

class CancelSource;

// Intrusive registration node; lives inside the cancellable operation.
class CancelCallback {
  public:
    using Fn = void (*)(CancelCallback*) noexcept;
    explicit CancelCallback(Fn fn) noexcept : _fn(fn) {}
    CancelCallback(const CancelCallback&) = delete;
    CancelCallback& operator=(const CancelCallback&) = delete;

  private:
    friend class CancelSource;
    Fn _fn;
    CancelCallback* _prev = nullptr;
    CancelCallback* _next = nullptr;
    CancelSource* _source = nullptr;
};

class CancelSource {
  public:
    CancelSource() = default;
    CancelSource(const CancelSource&) = delete;
    CancelSource& operator=(const CancelSource&) = delete;
    ~CancelSource() {
        // Operations must be finished before their source dies; detach defensively.
        while (_head)
            remove(_head);
    }

    bool cancelled() const noexcept { return _cancelled; }

    // Runs the callbacks of every registered operation. Idempotent.
    void cancel() noexcept {
        if (_cancelled) return;
        _cancelled = true;
        while (_head) {
            CancelCallback* cb = _head;
            remove(cb);
            cb->_fn(cb);
        }
    }

    // Re-arms a source whose operations have all finished (e.g. per-request reuse).
    void reset() noexcept {
        if (!_head) _cancelled = false;
    }

    // Returns false (and registers nothing) when already cancelled.
    bool add(CancelCallback* cb) noexcept {
        if (_cancelled) return false;
        cb->_source = this;
        cb->_prev = nullptr;
        cb->_next = _head;
        if (_head) _head->_prev = cb;
        _head = cb;
        return true;
    }
    static void remove_if_registered(CancelCallback* cb) noexcept {
        if (cb->_source) cb->_source->remove(cb);
    }

  private:
    void remove(CancelCallback* cb) noexcept {
        if (cb->_prev)
            cb->_prev->_next = cb->_next;
        else
            _head = cb->_next;
        if (cb->_next) cb->_next->_prev = cb->_prev;
        cb->_prev = cb->_next = nullptr;
        cb->_source = nullptr;
    }
    CancelCallback* _head = nullptr;
    bool _cancelled = false;
};

// A nullable, copyable reference to a source. A default token is never cancelled.
class CancelToken {
  public:
    CancelToken() noexcept = default;
    CancelToken(CancelSource& s) noexcept : _s(&s) {}  // NOLINT(google-explicit-constructor)
    bool cancelled() const noexcept { return _s && _s->cancelled(); }
    CancelSource* source() const noexcept { return _s; }

  private:
    CancelSource* _s = nullptr;
};

}  // namespace ec::rt
