#include "runtime/timer_wheel.h"

#include <bit>
#include <cstdint>

namespace ec::rt {

Timer::~Timer() {
    if (_wheel) _wheel->cancel(*this);
}

TimerWheel::~TimerWheel() {
    // Detach any still-armed timers so their destructors don't touch a dead wheel.
    auto detach = [](List& l) {
        for (Timer* t = l.head; t;) {
            Timer* n = t->_next;
            t->_wheel = nullptr;
            t->_list = nullptr;
            t->_prev = t->_next = nullptr;
            t = n;
        }
        l.head = nullptr;
    };
    for (auto& level : _slots)
        for (auto& l : level)
            detach(l);
    detach(_due);
}

void TimerWheel::push(List& l, Timer& t) noexcept {
    t._prev = nullptr;
    t._next = l.head;
    if (l.head) l.head->_prev = &t;
    l.head = &t;
    t._list = &l;
}

void TimerWheel::unlink(Timer& t) noexcept {
    auto* l = static_cast<List*>(t._list);
    if (t._prev)
        t._prev->_next = t._next;
    else
        l->head = t._next;
    if (t._next) t._next->_prev = t._prev;
    auto lp = reinterpret_cast<uintptr_t>(l);
    auto first = reinterpret_cast<uintptr_t>(&_slots[0][0]);
    if (!l->head && lp >= first && lp < first + sizeof(_slots)) {
        // Clear the bitmap bit of an emptied wheel slot (not for _due or a local batch).
        auto idx = (lp - first) / sizeof(List);
        _bits[idx / kSlots] &= ~(uint64_t{1} << (idx % kSlots));
    }
    t._prev = t._next = nullptr;
    t._list = nullptr;
}

void TimerWheel::link(Timer& t) noexcept {
    uint64_t exp = t._expiry;
    if (exp <= _cur) {
        push(_due, t);
        return;
    }
    uint64_t delta = exp - _cur;
    int level = 0;
    while (level < kLevels - 1 && delta >= (uint64_t{1} << (kBits * (level + 1))))
        ++level;
    if (level == kLevels - 1 && delta >= (uint64_t{1} << (kBits * kLevels))) {
        // Beyond the wheel's span: park in the farthest slot; re-filed on cascade.
        exp = _cur + (uint64_t{1} << (kBits * kLevels)) - 1;
    }
    unsigned slot = static_cast<unsigned>((exp >> (kBits * level)) & (kSlots - 1));
    push(_slots[level][slot], t);
    _bits[level] |= uint64_t{1} << slot;
}

void TimerWheel::schedule(Timer& t, uint64_t expiry_ms) noexcept {
    if (t._wheel) cancel(t);
    t._wheel = this;
    t._expiry = expiry_ms;
    ++_count;
    link(t);
}

void TimerWheel::cancel(Timer& t) noexcept {
    if (t._wheel != this) return;
    unlink(t);
    t._wheel = nullptr;
    --_count;
}

void TimerWheel::cascade(int level, unsigned slot) noexcept {
    List l = _slots[level][slot];
    _slots[level][slot].head = nullptr;
    _bits[level] &= ~(uint64_t{1} << slot);
    for (Timer* t = l.head; t;) {
        Timer* n = t->_next;
        link(*t);
        t = n;
    }
}

void TimerWheel::fire_list(List& l) noexcept {
    // Callbacks may cancel or schedule other timers (even ones in this list), so take
    // one node at a time from the list head.
    while (Timer* t = l.head) {
        unlink(*t);
        t->_wheel = nullptr;
        --_count;
        if (t->_fn) t->_fn(t);
    }
}

unsigned TimerWheel::advance(uint64_t now_ms) noexcept {
    uint64_t before = _count;
    fire_list(_due);
    while (_cur < now_ms) {
        if (_bits[0] == 0 && _bits[1] == 0 && _bits[2] == 0 && _bits[3] == 0) {
            _cur = now_ms;  // nothing armed in the wheel: jump
            break;
        }
        ++_cur;
        unsigned idx = static_cast<unsigned>(_cur & (kSlots - 1));
        if (idx == 0) {
            // Level 0 wrapped: bring the next level-1 slot (and higher, on their wraps) down.
            for (int level = 1; level < kLevels; ++level) {
                unsigned s = static_cast<unsigned>((_cur >> (kBits * level)) & (kSlots - 1));
                if (_slots[level][s].head) cascade(level, s);
                if (s != 0) break;
            }
        }
        if (_slots[0][idx].head) {
            List l = _slots[0][idx];
            _slots[0][idx].head = nullptr;
            _bits[0] &= ~(uint64_t{1} << idx);
            for (Timer* t = l.head; t; t = t->_next)
                t->_list = &l;
            fire_list(l);
        }
        fire_list(_due);
    }
    return static_cast<unsigned>(before >= _count ? before - _count : 0);
}

uint64_t TimerWheel::next_wakeup_ms() const noexcept {
    if (_due.head) return _cur;
    uint64_t best = UINT64_MAX;
    for (int level = 0; level < kLevels; ++level) {
        uint64_t bits = _bits[level];
        if (!bits) continue;
        int shift = kBits * level;
        // Slot of the current position at this level; find the nearest non-empty slot after it.
        unsigned pos = static_cast<unsigned>((_cur >> shift) & (kSlots - 1));
        uint64_t rot = std::rotr(bits, static_cast<int>((pos + 1) % kSlots));
        unsigned dist = static_cast<unsigned>(std::countr_zero(rot)) + 1;  // 1..64 slots ahead
        uint64_t base = (_cur >> shift) << shift;                          // start of current slot
        uint64_t when = base + (uint64_t{dist} << shift);
        if (level == 0) when = base + dist;
        if (when < best) best = when;
    }
    return best <= _cur ? _cur + 1 : best;
}

}  // namespace ec::rt
