#include "admission.h"

#include <cassert>

#include "runtime/reactor.h"

namespace ec::rs {

Admission::~Admission() {
    assert(_head == nullptr && "Admission destroyed with waiters");
}

Admission::Acquire::Acquire(Admission& a, uint64_t deadline_ms, rt::CancelToken tok) noexcept
    : _a(a), _deadline(deadline_ms), _tok(tok), _timer(&Acquire::on_timer), _cancel(&Acquire::on_cancel) {}

Admission::Acquire::~Acquire() {
    // Awaited to completion in normal use; defensive for a frame destroyed while queued.
    if (_queued) _a.unlink(this);
    if (_timer.armed()) rt::Reactor::current().timers().cancel(_timer);
    rt::CancelSource::remove_if_registered(&_cancel);
}

bool Admission::Acquire::await_ready() noexcept {
    if (_tok.cancelled()) {
        _result = Result::cancelled;
        return true;
    }
    if (_a._active < _a._capacity && _a._head == nullptr) {
        ++_a._active;
        _result = Result::admitted;
        return true;
    }
    if (_a._queued >= _a._max_queue) {
        _result = Result::queue_full;
        return true;
    }
    return false;
}

void Admission::Acquire::await_suspend(std::coroutine_handle<> h) noexcept {
    _h = h;
    _prev = _a._tail;
    _next = nullptr;
    if (_a._tail)
        _a._tail->_next = this;
    else
        _a._head = this;
    _a._tail = this;
    ++_a._queued;
    _queued = true;
    _timer.self = this;
    rt::Reactor::current().timers().schedule(_timer, _deadline);
    if (_tok.source()) {
        _cancel.self = this;
        _tok.source()->add(&_cancel);
    }
}

void Admission::Acquire::finish(Result r) noexcept {
    _result = r;
    if (_queued) _a.unlink(this);
    if (_timer.armed()) rt::Reactor::current().timers().cancel(_timer);
    rt::CancelSource::remove_if_registered(&_cancel);
    // Through the ready queue: whoever woke us (release(), a timer, a canceller) keeps running first.
    rt::Reactor::current().post(_h);
}

void Admission::Acquire::on_timer(rt::Timer* t) noexcept {
    static_cast<TimerNode*>(t)->self->finish(Result::timed_out);
}

void Admission::Acquire::on_cancel(rt::CancelCallback* cb) noexcept {
    static_cast<CancelHook*>(cb)->self->finish(Result::cancelled);
}

void Admission::unlink(Acquire* w) noexcept {
    if (w->_prev)
        w->_prev->_next = w->_next;
    else
        _head = w->_next;
    if (w->_next)
        w->_next->_prev = w->_prev;
    else
        _tail = w->_prev;
    w->_prev = w->_next = nullptr;
    w->_queued = false;
    --_queued;
}

void Admission::release() noexcept {
    assert(_active > 0);
    if (_head && _active <= _capacity) {
        // Hand the slot over: active stays the same.
        _head->finish(Result::admitted);
        return;
    }
    --_active;
}

}  // namespace ec::rs
