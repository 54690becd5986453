// Counts heap allocations while armed (global operator new is replaced in this test binary).
#pragma once

#include <cstddef>

namespace ec::gw::testing {

void arm_allocation_counter();
// Disarms and returns the number of allocations since arming.
std::size_t disarm_allocation_counter();

}  // namespace ec::gw::testing
