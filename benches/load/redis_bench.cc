// GET/SET throughput of redis::Client on one core (one reactor, one connection) with N
// concurrent coroutines. Prints redis-benchmark -q style lines so benches/load/redis.sh
// can put both side by side:
//   SET: 1234567.89 requests per second
//   GET: 1234567.89 requests per second
// Usage: redis_bench --addr 127.0.0.1:6379 [--clients 64] [--requests 1000000]
//                    [--data-size 3] [--tests set,get]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/reactor.h"
#include "runtime/redis.h"
#include "runtime/task.h"
#include "runtime/when_all.h"

namespace {

using namespace ec::rt;

struct Config {
    std::string addr = "127.0.0.1:6379";
    int clients = 64;
    uint64_t requests = 1'000'000;
    size_t data_size = 3;  // redis-benchmark's default -d
    std::vector<std::string> tests = {"set", "get"};
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "redis_bench: %s\nusage: redis_bench --addr HOST:PORT|unix:/path [--clients 64] "
                 "[--requests 1000000] [--data-size 3] [--tests set,get]\n",
                 why);
    std::exit(2);
}

Config parse(int argc, char** argv) {
    Config c;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value after " + std::string(a)).c_str());
            return argv[++i];
        };
        if (a == "--addr")
            c.addr = value();
        else if (a == "--clients")
            c.clients = std::atoi(value().c_str());
        else if (a == "--requests")
            c.requests = std::strtoull(value().c_str(), nullptr, 10);
        else if (a == "--data-size")
            c.data_size = std::strtoull(value().c_str(), nullptr, 10);
        else if (a == "--tests") {
            c.tests.clear();
            std::string v = value();
            for (size_t pos = 0; pos <= v.size();) {
                size_t comma = v.find(',', pos);
                if (comma == std::string::npos) comma = v.size();
                if (comma > pos) c.tests.push_back(v.substr(pos, comma - pos));
                pos = comma + 1;
            }
        } else
            usage(("unknown argument " + std::string(a)).c_str());
    }
    if (c.clients < 1 || c.requests < 1) usage("--clients and --requests must be positive");
    return c;
}

// The same key and value redis-benchmark uses without -r.
constexpr std::string_view kKey = "key:__rand_int__";

Task<void> worker(redis::Client& c, bool is_set, const std::string& value, uint64_t& left, uint64_t& errors) {
    while (left > 0) {
        --left;
        redis::Result r;
        if (is_set)
            r = co_await c.set(kKey, value);
        else
            r = co_await c.get(kKey);
        if (!r || r->is_error()) ++errors;
    }
}

Task<int> run(const Config& cfg) {
    redis::Options o;
    o.addr = cfg.addr;
    redis::Client c(o);
    int rc = 0;
    auto up = co_await c.connect(Deadline::after(Millis(5000)));
    if (!up) {
        std::fprintf(stderr, "redis_bench: %s\n", up.error().message.c_str());
        rc = 1;
    }
    const std::string value(cfg.data_size, 'x');
    for (const auto& t : cfg.tests) {
        if (rc) break;
        if (t != "set" && t != "get") {
            std::fprintf(stderr, "redis_bench: unknown test '%s' (set, get)\n", t.c_str());
            rc = 2;
            break;
        }
        const bool is_set = t == "set";
        if (!is_set) (void)co_await c.set(kKey, value);  // GET reads an existing value
        uint64_t left = cfg.requests, errors = 0;
        redis::Stats before = c.stats();
        uint64_t t0 = Reactor::current().refresh_now();
        std::vector<Task<void>> workers;
        for (int i = 0; i < cfg.clients; ++i)
            workers.push_back(worker(c, is_set, value, left, errors));
        co_await when_all(std::move(workers));
        uint64_t ms = Reactor::current().refresh_now() - t0;
        if (errors) {
            std::fprintf(stderr, "redis_bench: %llu errors in %s (last: %s)\n",
                         static_cast<unsigned long long>(errors), t.c_str(), c.last_error().c_str());
            rc = 1;
        }
        double rps = static_cast<double>(cfg.requests) * 1000.0 / static_cast<double>(ms ? ms : 1);
        const redis::Stats& after = c.stats();
        double per_send = static_cast<double>(after.commands - before.commands) /
                          static_cast<double>(after.sends - before.sends ? after.sends - before.sends : 1);
        std::printf("%s: %.2f requests per second (%llu in %llu ms, %.1f commands per send)\n",
                    is_set ? "SET" : "GET", rps, static_cast<unsigned long long>(cfg.requests),
                    static_cast<unsigned long long>(ms), per_send);
        std::fflush(stdout);
    }
    co_await c.close();
    co_return rc;
}

}  // namespace

int main(int argc, char** argv) {
    Config cfg = parse(argc, argv);
    Reactor reactor;
    return reactor.block_on(run(cfg));
}
