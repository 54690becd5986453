// Keeps this render service in the Redis registry (schema: renderer/registry.h, docs/redis-schema.md).
//
//   register_service()  drops reservations left by a previous incarnation with the same id, then
//                       heartbeats once: the service is selectable when it returns true;
//   run(stop)           heartbeats every second until `stop` fires: one EVALSHA per beat (one round trip,
//                       never overlapping; a beat that fails is logged, rate-limited, and retried next tick);
//   deregister()        removes the service from selection at once (gateways stop choosing it).
//
// A killed service stops heartbeating and leaves selection within 3 s (kLivenessTtlMs). Capacity is
// accounted by the callers' reservations; the heartbeat only publishes what the service is (address, port,
// capacity, version) and, for operators, its live engine counters.
//
// Core affinity: the client's core.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "render_types.h"
#include "runtime/cancel.h"
#include "runtime/log.h"
#include "runtime/redis.h"
#include "runtime/task.h"
#include "runtime/time.h"

namespace ec::rs {

struct ServiceIdentity {
    std::string id;
    std::string address;  // host gateways dial
    int port = 0;
    int capacity = 0;
    std::string version;
    std::string hostname;
    int64_t pid = 0;
    std::string started_at;  // RFC 3339
};

class Registrar {
  public:
    Registrar(rt::redis::Client& redis, ServiceIdentity who, std::function<EngineStats()> stats,
              rt::log::Logger& log);

    // One registration attempt; true when the service is selectable. Errors are logged by the caller.
    rt::Task<bool> register_service(rt::Deadline d, std::string* error = nullptr);
    // Heartbeats until `stop` is cancelled.
    rt::Task<void> run(rt::CancelToken stop, std::function<void()> on_failure = {});
    // Removes the service from selection; true when Redis confirmed.
    rt::Task<bool> deregister(rt::Deadline d);
    // One heartbeat (run() calls it every second).
    rt::Task<bool> heartbeat(rt::Deadline d, std::string* error = nullptr);

    uint64_t heartbeats_ok() const noexcept { return _ok; }
    uint64_t heartbeats_failed() const noexcept { return _failed; }

  private:
    rt::redis::Client& _redis;
    ServiceIdentity _who;
    std::function<EngineStats()> _stats;
    rt::log::Logger& _log;
    uint64_t _ok = 0;
    uint64_t _failed = 0;
    bool _was_failing = false;
};

}  // namespace ec::rs
