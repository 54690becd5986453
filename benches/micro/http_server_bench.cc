// Parse -> respond cost per request of HttpServer, without the network stack's noise
// dominating: requests are pipelined in batches over a Unix socketpair, so per-request
// syscalls are amortised and the figure is mostly llhttp + request views + handler +
// response serialisation.
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "runtime/http_server.h"
#include "runtime/reactor.h"

using namespace ec::rt;

namespace {

class Handler : public HttpHandler {
  public:
    bool try_handle(HttpRequest& req, HttpResponse& res) override {
        res.add_header("Content-Type", "text/html; charset=utf-8");
        res.add_header("X-Render-Source", "cache");
        res.set_body_view(req.path() == "/" ? std::string_view("root") : std::string_view(_body), nullptr);
        return true;
    }
    Task<void> handle(HttpRequest&, HttpResponse&) override { co_return; }

  private:
    std::string _body = std::string(512, 'x');
};

const std::string kRequest =
    "GET /render?url=https%3A%2F%2Fexample.com%2Fblog%2Fpost-1 HTTP/1.1\r\n"
    "Host: render.example.com\r\n"
    "User-Agent: Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)\r\n"
    "X-Render-Key: 0123456789abcdef\r\n"
    "X-Forwarded-For: 66.249.66.1\r\n"
    "X-Request-ID: abc-123\r\n"
    "Accept: */*\r\n\r\n";

void BM_ParseRespondPipelined(benchmark::State& state) {
    const int batch = static_cast<int>(state.range(0));
    Reactor r;
    Handler h;
    HttpServer srv(h);
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
    int buf_size = 4 << 20;
    for (int fd : sv) {
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf_size, sizeof buf_size);
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf_size, sizeof buf_size);
    }
    srv.serve_connection(sv[0]);
    std::string requests;
    for (int i = 0; i < batch; ++i)
        requests += kRequest;
    // Learn the size of one response.
    size_t resp_size = r.block_on([](int fd) -> Task<size_t> {
        co_await uring_op(
            [fd](io_uring_sqe* s) { io_uring_prep_send(s, fd, kRequest.data(), kRequest.size(), 0); });
        char buf[4096];
        int n =
            co_await uring_op([fd, &buf](io_uring_sqe* s) { io_uring_prep_recv(s, fd, buf, sizeof buf, 0); });
        co_return static_cast<size_t>(n);
    }(sv[1]));
    std::string sink(resp_size * static_cast<size_t>(batch) + 4096, '\0');
    for (auto _ : state) {
        r.block_on([](int fd, const std::string& reqs, std::string& out, size_t want) -> Task<void> {
            size_t sent = 0;
            while (sent < reqs.size()) {
                int n = co_await uring_op([&](io_uring_sqe* s) {
                    io_uring_prep_send(s, fd, reqs.data() + sent, reqs.size() - sent, 0);
                });
                if (n <= 0) co_return;
                sent += static_cast<size_t>(n);
            }
            size_t got = 0;
            while (got < want) {
                int n = co_await uring_op([&](io_uring_sqe* s) {
                    io_uring_prep_recv(s, fd, out.data() + got, out.size() - got, 0);
                });
                if (n <= 0) co_return;
                got += static_cast<size_t>(n);
            }
        }(sv[1], requests, sink, resp_size * static_cast<size_t>(batch)));
    }
    state.SetItemsProcessed(state.iterations() * batch);
    ::close(sv[1]);
    r.block_on([](HttpServer& s) -> Task<void> { co_await s.drain(100); }(srv));
}
BENCHMARK(BM_ParseRespondPipelined)->Arg(1)->Arg(16)->Arg(64)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
