// The render-service registry in Redis: key schema, Lua scripts and typed helpers, shared by the render
// service (registers, heartbeats, deregisters) and by its callers (the gateway and the cache daemon reserve
// and release render capacity). Header-only and depending on the runtime alone, so a caller includes it
// without linking anything of the render service. The schema is documented in docs/redis-schema.md.
//
//   rs:registry         ZSET  member = service id, score = liveness expiry (Redis TIME, ms). A service is
//                             live while its score is in the future; heartbeats push it 3 s ahead every 1 s.
//   rs:svc:<id>         HASH  id, address, port, capacity, version, hostname, pid, started_at, active,
//                             available, heartbeat_ms. TTL 10 s (garbage collection only, never liveness).
//   rs:res:<id>         ZSET  member = slot ("0".."capacity-1"), score = reservation expiry (ms).
//   rs:own:<id>         HASH  slot -> reservation token (owner check on release/extend).
//
// Every time comes from the Redis server's clock (TIME inside the scripts): no clock skew between hosts.
// Nothing here uses KEYS or SCAN; the cost of a reservation is O(live services + capacity of the chosen one).
//
// Core affinity: the helpers are coroutines on the calling core's redis::Client. The Script objects are
// process-wide constants (created on first use, thread-safe).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/redis.h"
#include "runtime/task.h"
#include "runtime/time.h"

namespace ec::rs::registry {

inline constexpr std::string_view kPrefix = "rs:";
inline constexpr int64_t kHeartbeatIntervalMs = 1000;
// A service that has not heartbeaten for this long is out of selection (and pruned by the next reserve).
inline constexpr int64_t kLivenessTtlMs = 3000;
inline constexpr int64_t kServiceHashTtlMs = 10000;
// Reservation keys outlive their last reservation by this much (garbage collection of a vanished service).
inline constexpr int64_t kReservationGcMs = 60000;

inline std::string registry_key() {
    return std::string(kPrefix) + "registry";
}
inline std::string service_key(std::string_view id) {
    return std::string(kPrefix) + "svc:" + std::string(id);
}
inline std::string reservations_key(std::string_view id) {
    return std::string(kPrefix) + "res:" + std::string(id);
}
inline std::string owners_key(std::string_view id) {
    return std::string(kPrefix) + "own:" + std::string(id);
}

// ------------------------------------------------------------------------------------------- scripts

namespace scripts {

// Milliseconds of the server clock, and effects replication on Redis < 7 (TIME before a write).
inline constexpr std::string_view kNow = R"lua(
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
)lua";

// KEYS[1] registry, KEYS[2] rs:svc:<id>. ARGV[1] id, ARGV[2] liveness ttl ms, ARGV[3] hash ttl ms,
// ARGV[4..] field, value, ... Returns the server time (ms).
inline constexpr std::string_view kHeartbeatBody = R"lua(
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
if #ARGV > 4 then redis.call('HSET', KEYS[2], unpack(ARGV, 4)) end
redis.call('HSET', KEYS[2], 'heartbeat_ms', now)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return now
)lua";

// KEYS[1] registry. ARGV[1] key prefix, ARGV[2] token, ARGV[3] strategy (least_loaded | most_available),
// ARGV[4] reservation ttl ms, ARGV[5] gc ms.
// Returns {'ok', id, address, port, slot, capacity, load_after} or {'none', 'no_services' | 'no_capacity'}.
inline constexpr std::string_view kReserveBody = R"lua(
local prefix, token, strategy, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
if #ids == 0 then return {'none', 'no_services'} end
local best, best_cap, best_load, best_addr, best_port, best_score
for _, id in ipairs(ids) do
  local info = redis.call('HMGET', prefix .. 'svc:' .. id, 'capacity', 'address', 'port')
  local cap = tonumber(info[1])
  if cap and cap > 0 and info[2] and info[3] then
    local load = redis.call('ZCOUNT', prefix .. 'res:' .. id, '(' .. now, '+inf')
    if load < cap then
      local score
      if strategy == 'most_available' then score = load - cap else score = load / cap end
      if best == nil or score < best_score then
        best, best_cap, best_load, best_addr, best_port, best_score = id, cap, load, info[2], info[3], score
      end
    end
  end
end
if best == nil then return {'none', 'no_capacity'} end
local res, own = prefix .. 'res:' .. best, prefix .. 'own:' .. best
local expired = redis.call('ZRANGEBYSCORE', res, '-inf', now)
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', res, '-inf', now)
  redis.call('HDEL', own, unpack(expired))
end
local used = {}
for _, s in ipairs(redis.call('ZRANGE', res, 0, -1)) do used[s] = true end
local slot = 0
while used[tostring(slot)] do slot = slot + 1 end
redis.call('ZADD', res, now + ttl, slot)
redis.call('HSET', own, slot, token)
local keep = ttl + tonumber(ARGV[5])
if redis.call('PTTL', res) < keep then redis.call('PEXPIRE', res, keep) end
if redis.call('PTTL', own) < keep then redis.call('PEXPIRE', own, keep) end
return {'ok', best, best_addr, best_port, tostring(slot), tostring(best_cap), tostring(best_load + 1)}
)lua";

// KEYS[1] rs:res:<id>, KEYS[2] rs:own:<id>. ARGV[1] slot, ARGV[2] token. 1 when released, 0 when the slot
// is not (or no longer) held by that token.
inline constexpr std::string_view kRelease = R"lua(
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
)lua";

// KEYS[1] rs:res:<id>, KEYS[2] rs:own:<id>. ARGV[1] slot, ARGV[2] token, ARGV[3] ttl ms (from now),
// ARGV[4] gc ms. 1 when extended, 0 when the token does not hold a live reservation of that slot.
inline constexpr std::string_view kExtendBody = R"lua(
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) <= now then return 0 end
local ttl = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[1])
local keep = ttl + tonumber(ARGV[4])
if redis.call('PTTL', KEYS[1]) < keep then redis.call('PEXPIRE', KEYS[1], keep) end
if redis.call('PTTL', KEYS[2]) < keep then redis.call('PEXPIRE', KEYS[2], keep) end
return 1
)lua";

// KEYS[1] registry, KEYS[2] rs:svc:<id>, KEYS[3] rs:res:<id>, KEYS[4] rs:own:<id>. ARGV[1] id.
// Removes the service from selection at once and drops its reservations.
inline constexpr std::string_view kUnregister = R"lua(
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
return 1
)lua";

// KEYS[1] registry. ARGV[1] key prefix. Live services as a flat list of
// {id, address, port, capacity, load, active, version} tuples (dead entries are pruned first).
inline constexpr std::string_view kListBody = R"lua(
local prefix = ARGV[1]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local info = redis.call('HMGET', prefix .. 'svc:' .. id, 'address', 'port', 'capacity', 'active', 'version')
  if info[1] then
    local load = redis.call('ZCOUNT', prefix .. 'res:' .. id, '(' .. now, '+inf')
    table.insert(out, id)
    table.insert(out, info[1])
    table.insert(out, info[2] or '0')
    table.insert(out, info[3] or '0')
    table.insert(out, tostring(load))
    table.insert(out, info[4] or '0')
    table.insert(out, info[5] or '')
  end
end
return out
)lua";

}  // namespace scripts

inline const rt::redis::Script& heartbeat_script() {
    static const rt::redis::Script kScript(std::string(scripts::kNow) + std::string(scripts::kHeartbeatBody));
    return kScript;
}
inline const rt::redis::Script& reserve_script() {
    static const rt::redis::Script kScript(std::string(scripts::kNow) + std::string(scripts::kReserveBody));
    return kScript;
}
inline const rt::redis::Script& release_script() {
    static const rt::redis::Script kScript{std::string(scripts::kRelease)};
    return kScript;
}
inline const rt::redis::Script& extend_script() {
    static const rt::redis::Script kScript(std::string(scripts::kNow) + std::string(scripts::kExtendBody));
    return kScript;
}
inline const rt::redis::Script& unregister_script() {
    static const rt::redis::Script kScript{std::string(scripts::kUnregister)};
    return kScript;
}
inline const rt::redis::Script& list_script() {
    static const rt::redis::Script kScript(std::string(scripts::kNow) + std::string(scripts::kListBody));
    return kScript;
}

// ------------------------------------------------------------------------------------------- helpers

enum class Strategy : uint8_t { least_loaded, most_available };

inline std::string_view strategy_name(Strategy s) {
    return s == Strategy::most_available ? "most_available" : "least_loaded";
}

// A capacity slot held by a caller until release() or its expiry.
struct Reservation {
    std::string service_id;
    std::string address;  // as advertised by the service (host name or IP)
    int port = 0;
    int slot = 0;      // sent to the service as tab_id
    int capacity = 0;  // the service's capacity when reserved
    int load = 0;      // reservations held on it including this one
    std::string token;
};

// What reserve() found: a reservation, or why not ("no_services", "no_capacity"), or a Redis failure.
struct ReserveOutcome {
    std::optional<Reservation> reservation;
    std::string reason;        // set when there is no reservation
    bool redis_error = false;  // the reason is a transport/script error, not a capacity verdict
};

namespace detail {
inline bool to_int(std::string_view s, int& out) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}
}  // namespace detail

// Reserves one slot on a live service with free capacity, atomically. `token` identifies the holder (the
// request id); `ttl` bounds how long the slot stays held if the holder never releases it (e.g. it crashed),
// so it should cover the whole render call.
inline rt::Task<ReserveOutcome> reserve(rt::redis::Client& c, std::string token, Strategy strategy,
                                        rt::Millis ttl, rt::Deadline d) {
    ReserveOutcome out;
    std::string key = registry_key();
    std::string ttl_s = std::to_string(ttl.count());
    std::string gc_s = std::to_string(kReservationGcMs);
    auto r =
        co_await c.eval(reserve_script(), {key}, {kPrefix, token, strategy_name(strategy), ttl_s, gc_s}, d);
    if (!r) {
        out.redis_error = true;
        out.reason = r.error().message;
        co_return out;
    }
    const rt::redis::Reply& rep = *r;
    auto el = rep.elements();
    if (rep.is_error() || !rep.is_array() || el.size() < 2) {
        out.redis_error = true;
        out.reason = rep.is_error() ? std::string(rep.str()) : "unexpected reply " + rep.to_string();
        co_return out;
    }
    if (el[0].str() != "ok") {
        out.reason = std::string(el[1].str());
        co_return out;
    }
    Reservation res;
    if (el.size() < 7 || !detail::to_int(el[3].str(), res.port) || !detail::to_int(el[4].str(), res.slot) ||
        !detail::to_int(el[5].str(), res.capacity) || !detail::to_int(el[6].str(), res.load)) {
        out.redis_error = true;
        out.reason = "unexpected reply " + rep.to_string();
        co_return out;
    }
    res.service_id = std::string(el[1].str());
    res.address = std::string(el[2].str());
    res.token = std::move(token);
    out.reservation = std::move(res);
    co_return out;
}

// Outcome of release() and extend(): `held` tells whether the token still held a live slot; `error` is set
// (and held false) when Redis could not be asked. A failed release is harmless: the slot frees itself at
// its expiry.
struct SlotOutcome {
    bool held = false;
    std::string error;
};

namespace detail {
inline SlotOutcome slot_outcome(const rt::redis::Result& r) {
    if (!r) return {false, r.error().message};
    if (r->is_error()) return {false, std::string(r->str())};
    return {r->integer() == 1, {}};
}
}  // namespace detail

// Gives a slot back (owner-checked: only `res.token` can release it).
inline rt::Task<SlotOutcome> release(rt::redis::Client& c, Reservation res, rt::Deadline d) {
    std::string slot = std::to_string(res.slot);
    auto r = co_await c.eval(release_script(), {reservations_key(res.service_id), owners_key(res.service_id)},
                             {slot, res.token}, d);
    co_return detail::slot_outcome(r);
}

// Pushes a held reservation's expiry to now + ttl (a render that needs longer than first planned).
inline rt::Task<SlotOutcome> extend(rt::redis::Client& c, Reservation res, rt::Millis ttl, rt::Deadline d) {
    std::string slot = std::to_string(res.slot);
    std::string ttl_s = std::to_string(ttl.count());
    std::string gc_s = std::to_string(kReservationGcMs);
    auto r = co_await c.eval(extend_script(), {reservations_key(res.service_id), owners_key(res.service_id)},
                             {slot, res.token, ttl_s, gc_s}, d);
    co_return detail::slot_outcome(r);
}

struct ServiceEntry {
    std::string id, address, version;
    int port = 0, capacity = 0, load = 0, active = 0;
};

// Every live service with its capacity and current reservations (for status pages and capacity-based
// throttling such as the cache daemon's). `error` is set when Redis could not be asked.
struct ServiceList {
    std::vector<ServiceEntry> services;
    std::string error;
};

inline rt::Task<ServiceList> list_services(rt::redis::Client& c, rt::Deadline d) {
    ServiceList out;
    std::string key = registry_key();
    auto r = co_await c.eval(list_script(), {key}, {kPrefix}, d);
    if (!r) {
        out.error = r.error().message;
        co_return out;
    }
    if (r->is_error()) {
        out.error = std::string(r->str());
        co_return out;
    }
    auto el = r->elements();
    for (size_t i = 0; i + 7 <= el.size(); i += 7) {
        ServiceEntry e;
        e.id = std::string(el[i].str());
        e.address = std::string(el[i + 1].str());
        (void)detail::to_int(el[i + 2].str(), e.port);
        (void)detail::to_int(el[i + 3].str(), e.capacity);
        (void)detail::to_int(el[i + 4].str(), e.load);
        (void)detail::to_int(el[i + 5].str(), e.active);
        e.version = std::string(el[i + 6].str());
        out.services.push_back(std::move(e));
    }
    co_return out;
}

}  // namespace ec::rs::registry
