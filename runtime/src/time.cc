#include "runtime/time.h"

namespace ec::rt {

void SleepAwaiter::on_timer(Timer* t) noexcept {
    SleepAwaiter* self = static_cast<TimerNode*>(t)->self;
    CancelSource::remove_if_registered(&self->_cb);
    self->_h.resume();
}

}  // namespace ec::rt
