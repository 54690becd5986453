#include "registrar.h"

#include "renderer/registry.h"

namespace ec::rs {

Registrar::Registrar(rt::redis::Client& redis, ServiceIdentity who, std::function<EngineStats()> stats,
                     rt::log::Logger& log)
    : _redis(redis), _who(std::move(who)), _stats(std::move(stats)), _log(log) {}

rt::Task<bool> Registrar::heartbeat(rt::Deadline d, std::string* error) {
    EngineStats s = _stats ? _stats() : EngineStats{};
    const std::string port = std::to_string(_who.port);
    const std::string capacity = std::to_string(_who.capacity);
    const std::string pid = std::to_string(_who.pid);
    const std::string active = std::to_string(s.active);
    const std::string available = std::to_string(s.available);
    const std::string ttl = std::to_string(registry::kLivenessTtlMs);
    const std::string hash_ttl = std::to_string(registry::kServiceHashTtlMs);
    const std::string reg = registry::registry_key();
    const std::string svc = registry::service_key(_who.id);
    auto r = co_await _redis.eval(
        registry::heartbeat_script(), {reg, svc},
        {_who.id, ttl,          hash_ttl,        "id",      _who.id,      "address",   _who.address,  "port",
         port,    "capacity",   capacity,        "version", _who.version, "hostname",  _who.hostname, "pid",
         pid,     "started_at", _who.started_at, "active",  active,       "available", available},
        d);
    bool ok = r && r->is_integer();
    if (!ok && error) *error = r ? std::string(r->str()) : r.error().message;
    if (ok)
        ++_ok;
    else
        ++_failed;
    co_return ok;
}

rt::Task<bool> Registrar::register_service(rt::Deadline d, std::string* error) {
    const std::string reg = registry::registry_key();
    // Reservations held on a previous incarnation of this id belong to renders that died with it.
    auto r = co_await _redis.eval(registry::unregister_script(),
                                  {reg, registry::service_key(_who.id), registry::reservations_key(_who.id),
                                   registry::owners_key(_who.id)},
                                  {_who.id}, d);
    if (!r || r->is_error()) {
        if (error) *error = r ? std::string(r->str()) : r.error().message;
        co_return false;
    }
    co_return co_await heartbeat(d, error);
}

rt::Task<void> Registrar::run(rt::CancelToken stop, std::function<void()> on_failure) {
    rt::Reactor& reactor = rt::Reactor::current();
    uint64_t next = reactor.refresh_now() + static_cast<uint64_t>(registry::kHeartbeatIntervalMs);
    while (!stop.cancelled()) {
        if (!co_await rt::sleep_until_ms(next, stop)) break;
        next += static_cast<uint64_t>(registry::kHeartbeatIntervalMs);
        uint64_t now = reactor.refresh_now();
        if (next <= now)
            next = now + static_cast<uint64_t>(registry::kHeartbeatIntervalMs);  // we fell behind
        std::string why;
        // A beat must land well inside the liveness window; a slower one is as good as lost.
        bool ok = co_await heartbeat(rt::Deadline(now + 900), &why);
        if (ok) {
            if (_was_failing) _log.info("Registry heartbeat restored", {{"service_id", _who.id}});
            _was_failing = false;
        } else {
            _was_failing = true;
            if (on_failure) on_failure();
            _log.limited(rt::log::Level::warn, "registry_heartbeat", std::chrono::seconds(10),
                         "Registry heartbeat failed; gateways stop selecting this service after 3 s",
                         {{"service_id", _who.id}, {"error", why}});
        }
    }
}

rt::Task<bool> Registrar::deregister(rt::Deadline d) {
    auto r = co_await _redis.eval(registry::unregister_script(),
                                  {registry::registry_key(), registry::service_key(_who.id),
                                   registry::reservations_key(_who.id), registry::owners_key(_who.id)},
                                  {_who.id}, d);
    co_return r && !r->is_error();
}

}  // namespace ec::rs
