// A static-file server on the runtime, for `benches/run static` and `benches/run idle-conns`.
//
//   static_server --root DIR --listen 127.0.0.1:PORT [--cores N] [--mode auto|memory|splice]
//
// memory: every file under DIR is read once at start and served from memory with one
//         vectored send (header + body) per response — the gateway's cache-hit path.
// splice: files are opened once and sent without a user copy by TcpStream::send_file:
//         sendfile(2) on the reactor thread when accepted sockets are non-blocking
//         (rt::nonblocking_sockets_supported()), io_uring splice through a pipe otherwise.
// auto (default): the faster at each size in `benches/run static` (docs/runtime.md): files
//         at every size with sendfile(2); without it, memory below 64 KiB and splice above.
// Prints "ready" on stdout once listening; SIGTERM/SIGINT drain and exit.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/http_server.h"
#include "runtime/net.h"
#include "runtime/runtime.h"
#include "runtime/signals.h"
#include "runtime/when_all.h"

using namespace ec::rt;

namespace {

struct File {
    std::shared_ptr<const std::string> data;  // memory mode
    int fd = -1;                              // splice mode
    size_t size = 0;
};

class StaticHandler : public HttpHandler {
  public:
    explicit StaticHandler(const std::unordered_map<std::string, File>& files) : _files(files) {}
    bool try_handle(HttpRequest& req, HttpResponse& res) override {
        auto it = _files.find(std::string(req.path()));
        if (it == _files.end()) {
            res.set_status(404);
            res.add_header("Content-Type", "text/plain");
            res.set_body("not found");
            return true;
        }
        res.add_header("Content-Type", "text/html; charset=utf-8");
        const File& f = it->second;
        if (f.data)
            res.set_body_view(*f.data, f.data);
        else
            res.set_body_file(f.fd, 0, f.size, false);
        return true;
    }
    Task<void> handle(HttpRequest&, HttpResponse&) override { co_return; }

  private:
    const std::unordered_map<std::string, File>& _files;
};

}  // namespace

int main(int argc, char** argv) {
    std::string root, listen = "127.0.0.1:8080", mode = "auto";
    unsigned cores = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--root")
            root = argv[i + 1];
        else if (k == "--listen")
            listen = argv[i + 1];
        else if (k == "--cores")
            cores = static_cast<unsigned>(std::atoi(argv[i + 1]));
        else if (k == "--mode")
            mode = argv[i + 1];
        else {
            std::fprintf(stderr, "unknown option %s\n", k.c_str());
            return 2;
        }
    }
    if (root.empty() || (mode != "memory" && mode != "splice" && mode != "auto")) {
        std::fprintf(stderr,
                     "usage: static_server --root DIR --listen ADDR [--cores N] [--mode auto|memory|splice]\n");
        return 2;
    }
    std::unordered_map<std::string, File> files;
    for (auto& e : std::filesystem::recursive_directory_iterator(root)) {
        if (!e.is_regular_file()) continue;
        std::string rel = "/" + std::filesystem::relative(e.path(), root).string();
        File f;
        f.size = e.file_size();
        bool in_memory = mode == "memory" ||
                         (mode == "auto" && !ec::rt::nonblocking_sockets_supported() && f.size < 64 * 1024);
        if (in_memory) {
            std::ifstream in(e.path(), std::ios::binary);
            std::ostringstream ss;
            ss << in.rdbuf();
            f.data = std::make_shared<const std::string>(ss.str());
        } else {
            f.fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
        }
        files.emplace(rel, std::move(f));
    }
    std::string err;
    auto addr = SocketAddress::parse(listen, &err);
    if (!addr) {
        std::fprintf(stderr, "bad --listen %s: %s\n", listen.c_str(), err.c_str());
        return 2;
    }
    SignalSet sigs({SIGTERM, SIGINT});
    StaticHandler handler(files);
    Runtime rt(RuntimeOptions{.cores = cores});
    std::atomic<unsigned> ready{0};
    std::vector<CancelSource*> stop(cores, nullptr);
    rt.run([&](unsigned core) -> Task<void> {
        CancelSource my_stop;
        stop[core] = &my_stop;
        auto l = TcpListener::bind(*addr);
        HttpServer srv(handler);
        if (++ready == cores) {
            std::printf("ready\n");
            std::fflush(stdout);
        }
        Gate g;
        spawn(g, srv.serve(*l));
        if (core == 0) {
            co_await sigs.wait();
            for (unsigned c = 1; c < cores; ++c)
                co_await submit_to(c, [&stop, c] { stop[c]->cancel(); });
        } else {
            co_await sleep_for(Millis(24L * 3600 * 1000), my_stop);  // until core 0 says stop
        }
        co_await srv.drain(1000);
        co_await g.close();
    });
    return 0;
}
