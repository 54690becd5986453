// redis::Client: the per-core pipelined command connection.
#include <charconv>

#include "redis_connection.h"
#include "runtime/redis.h"

namespace ec::rt::redis {

namespace {

class ClientConnection final : public detail::Connection {
  public:
    explicit ClientConnection(Options opts) : Connection(std::move(opts), "redis") {}

  private:
    void on_reply(Reply&& r) override {
        if (fifo_empty()) {
            break_connection("reply without a pending command: " + r.to_string().substr(0, 200));
            return;
        }
        Call* c = fifo_pop();
        if (!c) {
            ++_stats.discarded;  // its caller timed out or went away
            return;
        }
        complete(*c, std::move(r));
    }
};

}  // namespace

Client::Client(Options opts) : _conn(std::make_unique<ClientConnection>(std::move(opts))) {}
Client::~Client() = default;

Task<Expected<void>> Client::connect(Deadline d) {
    return _conn->wait_connected(d);
}

Call Client::command(ArgList args) {
    return Call(_conn.get(), std::span<const ArgList>(&args, 1), _conn->default_deadline_ms(), {});
}

Call Client::command(ArgList args, Deadline d, CancelToken tok) {
    return Call(_conn.get(), std::span<const ArgList>(&args, 1), d.at_ms(), tok);
}

Call Client::set(std::string_view key, std::string_view value, Millis ttl) {
    char buf[24];
    auto end = std::to_chars(buf, buf + sizeof buf, ttl.count()).ptr;
    const std::string_view args[] = {"SET", key, value, "PX",
                                     std::string_view(buf, static_cast<size_t>(end - buf))};
    return command(ArgList(std::span<const std::string_view>(args)));
}

Task<Result> Client::eval(const Script& s, ArgList keys, ArgList args) {
    return eval(s, keys, args, Deadline(_conn->default_deadline_ms()));
}

// EVALSHA with owned arguments: the Task is lazy and may be awaited after the caller's
// argument temporaries are gone (e.g. collected for when_all).
Task<Result> Client::eval_owned(detail::Connection& conn, const Script& s, std::vector<std::string> argv,
                                uint64_t deadline) {
    const ArgList parts[] = {ArgList(argv)};
    Result r;
    {
        Call first(&conn, parts, deadline, {});
        r = co_await first;
    }
    if (!r || !r->is_error() || r->error_code() != "NOSCRIPT") co_return r;

    // The server lost the script (SCRIPT FLUSH, restart, failover): load it and retry,
    // both in one round trip.
    const std::string_view load_args[] = {"SCRIPT", "LOAD", s.source()};
    const ArgList load_parts[] = {ArgList(std::span<const std::string_view>(load_args))};
    Call load(&conn, load_parts, deadline, {});
    Call again(&conn, parts, deadline, {});
    Result loaded = co_await load;
    Result retried = co_await again;
    if (!loaded || loaded->is_error()) co_return loaded;
    co_return retried;
}

Task<Result> Client::eval(const Script& s, ArgList keys, ArgList args, Deadline d) {
    std::vector<std::string> argv;
    argv.reserve(3 + keys.size() + args.size());
    argv.emplace_back("EVALSHA");
    argv.push_back(s.sha1());
    argv.push_back(std::to_string(keys.size()));
    for (size_t i = 0; i < keys.size(); ++i)
        argv.emplace_back(keys[i]);
    for (size_t i = 0; i < args.size(); ++i)
        argv.emplace_back(args[i]);
    return eval_owned(*_conn, s, std::move(argv), d.at_ms());
}

Task<Result> Client::load(const Script& s) {
    const std::string_view args[] = {"SCRIPT", "LOAD", s.source()};
    Result r = co_await command(ArgList(std::span<const std::string_view>(args)));
    if (r && r->is_string() && r->str() != s.sha1())
        co_return Reply::error("ERR SCRIPT LOAD returned " + std::string(r->str()) + ", expected " +
                               s.sha1());
    co_return r;
}

Task<void> Client::close() {
    return _conn->close();
}

bool Client::connected() const noexcept {
    return _conn->state() == detail::Connection::State::connected;
}
const std::string& Client::address() const noexcept {
    return _conn->address();
}
const std::string& Client::last_error() const noexcept {
    return _conn->last_error();
}
const Stats& Client::stats() const noexcept {
    return _conn->stats();
}

}  // namespace ec::rt::redis
