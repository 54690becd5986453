// libFuzzer target for the HTTP request path: bytes from the fuzzer are written to a
// real connection of HttpServer (a socketpair on a reactor), split into chunks whose
// sizes come from the input, so the parser glue sees arbitrary framing. Any crash, hang
// or sanitizer report is a finding. Build: scripts/build fuzz (see DEVELOPERS.md).
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/http_server.h"
#include "runtime/reactor.h"
#include "runtime/time.h"

using namespace ec::rt;

namespace {

class FuzzHandler : public HttpHandler {
  public:
    bool try_handle(HttpRequest& req, HttpResponse& res) override {
        if (req.path() == "/async") return false;
        // Touch every view so the sanitizers check them.
        size_t sum = req.method().size() + req.target().size() + req.query().size() + req.body().size();
        for (const auto& h : req.headers())
            sum += h.name.size() + h.value.size();
        res.add_header("X-Sum", sum);
        res.add_header("X-Echo", req.header("x-echo"));
        res.set_body(std::string(req.body()));
        return true;
    }
    Task<void> handle(HttpRequest& req, HttpResponse& res) override {
        co_await yield();
        res.set_body(std::string(req.target()));
    }
};

struct State {
    Reactor reactor;
    FuzzHandler handler;
    HttpServer server;
    State() : server(handler, opts()) {}
    static HttpServerOptions opts() {
        HttpServerOptions o;
        o.max_header_bytes = 2048;
        o.max_body_bytes = 4096;
        o.header_timeout_ms = 200;
        o.request_timeout_ms = 300;
        o.idle_timeout_ms = 200;
        o.write_timeout_ms = 200;
        return o;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static State* st = new State();  // one reactor for the whole run
    if (size < 1 || size > 16384) return 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return 0;
    st->server.serve_connection(sv[0]);
    uint8_t split = data[0];
    const uint8_t* p = data + 1;
    size_t left = size - 1;
    st->reactor.block_on([](int fd, const uint8_t* d, size_t n, uint8_t step) -> Task<void> {
        size_t chunk = step == 0 ? n : step;
        while (n > 0) {
            size_t c = chunk < n ? chunk : n;
            if (::send(fd, d, c, MSG_NOSIGNAL | MSG_DONTWAIT) <= 0) break;
            d += c;
            n -= c;
            co_await yield();
        }
        ::shutdown(fd, SHUT_WR);
        // Drain the server's answers until it closes (bounded by its timeouts).
        char buf[4096];
        for (;;) {
            int r = co_await uring_op(
                [fd, &buf](io_uring_sqe* s) { io_uring_prep_recv(s, fd, buf, sizeof buf, 0); }, {}, 2000);
            if (r <= 0) break;
        }
    }(sv[1], p, left, split));
    ::close(sv[1]);
    // Let the server-side coroutine unwind completely before the next input.
    while (st->server.stats().connections_open > 0) {
        st->reactor.block_on([]() -> Task<void> { co_await sleep_for(Millis(1)); }());
    }
    return 0;
}
