#include "support/fixture_site.h"

#include <future>
#include <stdexcept>

#include "runtime/gate.h"
#include "runtime/http_server.h"
#include "runtime/net.h"
#include "runtime/reactor.h"
#include "runtime/time.h"

namespace ec::test {

namespace {

bool iequal(std::string_view a, std::string_view b) {
    return rt::iequals(a, b);
}

}  // namespace

std::string FixtureSite::Request::header(std::string_view name) const {
    for (const auto& [n, v] : headers)
        if (iequal(n, name)) return v;
    return {};
}

bool FixtureSite::Request::has_header(std::string_view name) const {
    for (const auto& [n, v] : headers)
        if (iequal(n, name)) return true;
    return false;
}

struct FixtureSite::Impl final : rt::HttpHandler {
    FixtureSite* site = nullptr;
    rt::Reactor* reactor = nullptr;
    std::atomic<bool> stop{false};

    rt::Task<void> handle(rt::HttpRequest& req, rt::HttpResponse& res) override {
        site->record(req);
        Handler h = site->find(req.path());
        if (!h) {
            res.set_status(404);
            res.add_header("Content-Type", "text/plain");
            res.set_body("not found");
            co_return;
        }
        co_await h(req, res);
    }
};

FixtureSite::FixtureSite() : _impl(std::make_unique<Impl>()) {
    _impl->site = this;
    std::promise<uint16_t> ready;
    auto fut = ready.get_future();
    _thread = std::thread([this, &ready] {
        try {
            rt::Reactor r;
            _impl->reactor = &r;
            auto l = rt::TcpListener::bind(rt::SocketAddress::loopback(0));
            rt::HttpServerOptions so;
            so.idle_timeout_ms = 60'000;
            so.request_timeout_ms = 120'000;
            so.write_timeout_ms = 120'000;
            rt::HttpServer srv(*_impl, so);
            ready.set_value(l->local_address().port());
            r.block_on([](FixtureSite* self, rt::TcpListener& lst, rt::HttpServer& s) -> rt::Task<void> {
                rt::Gate g;
                rt::spawn(g, s.serve(lst));
                while (!self->_impl->stop.load())
                    co_await rt::sleep_for(rt::Millis(5));
                co_await s.drain(200);
                co_await g.close();
            }(this, *l, srv));
        } catch (...) {
            try {
                ready.set_exception(std::current_exception());
            } catch (...) {
            }
        }
    });
    try {
        _port = fut.get();
    } catch (...) {
        _thread.join();
        throw;
    }
}

FixtureSite::~FixtureSite() {
    _impl->stop = true;
    _thread.join();
}

std::string FixtureSite::origin() const {
    return "http://127.0.0.1:" + std::to_string(_port.load());
}

std::string FixtureSite::url(std::string_view path) const {
    return origin() + std::string(path);
}

void FixtureSite::handler(const std::string& path, Handler h) {
    std::lock_guard lk(_mu);
    _routes[path] = std::move(h);
}

void FixtureSite::page(const std::string& path, std::string body, PageOptions o) {
    auto shared_body = std::make_shared<const std::string>(std::move(body));
    handler(path, [shared_body, o](rt::HttpRequest& req, rt::HttpResponse& res) -> rt::Task<void> {
        if (o.delay_ms > 0) co_await rt::sleep_for(rt::Millis(o.delay_ms), req.cancel_token());
        res.set_status(o.status);
        res.add_header("Content-Type", o.content_type);
        res.add_header("Cache-Control", "no-store");
        for (const auto& [n, v] : o.headers)
            res.add_header(n, v);
        res.set_body_view(*shared_body, shared_body);
    });
}

void FixtureSite::redirect(const std::string& path, int status, std::string location) {
    handler(path, [status, location](rt::HttpRequest&, rt::HttpResponse& res) -> rt::Task<void> {
        res.set_status(status);
        res.add_header("Location", location);
        res.add_header("Content-Type", "text/html");
        res.set_body("<html><body>moved</body></html>");
        co_return;
    });
}

void FixtureSite::hang(const std::string& path) {
    handler(path, [](rt::HttpRequest& req, rt::HttpResponse& res) -> rt::Task<void> {
        co_await rt::sleep_for(rt::Millis(3'600'000), req.cancel_token());
        res.set_status(503);
        res.set_body("gave up");
    });
}

FixtureSite::Handler FixtureSite::find(std::string_view path) const {
    std::lock_guard lk(_mu);
    auto it = _routes.find(path);
    return it == _routes.end() ? Handler() : it->second;
}

void FixtureSite::record(const rt::HttpRequest& req) {
    Request r;
    r.method = std::string(req.method());
    r.target = std::string(req.target());
    r.path = std::string(req.path());
    for (const auto& h : req.headers())
        r.headers.emplace_back(std::string(h.name), std::string(h.value));
    std::lock_guard lk(_mu);
    _log.push_back(std::move(r));
}

std::vector<FixtureSite::Request> FixtureSite::requests() const {
    std::lock_guard lk(_mu);
    return _log;
}

std::vector<FixtureSite::Request> FixtureSite::requests_for(std::string_view path) const {
    std::lock_guard lk(_mu);
    std::vector<Request> out;
    for (const auto& r : _log)
        if (r.path == path) out.push_back(r);
    return out;
}

void FixtureSite::clear_requests() {
    std::lock_guard lk(_mu);
    _log.clear();
}

}  // namespace ec::test
