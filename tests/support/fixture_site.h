// A small web site for tests, served by rt::HttpServer on 127.0.0.1:<free port> from
// its own thread and reactor (so a test thread may block, and a Chromium under test can
// load pages while the test's own reactor waits on something else).
//
//   ec::test::FixtureSite site;
//   site.page("/", "<html>...</html>");                          // static content
//   site.page("/slow", html, {.delay_ms = 800});                   // answered later
//   site.redirect("/old", 301, "/new");
//   site.hang("/never");                                           // never answered
//   site.handler("/api", [](rt::HttpRequest& q, rt::HttpResponse& s) -> rt::Task<void> {...});
//   site.url("/") == "http://127.0.0.1:<port>/"
//   site.requests_for("/img.png")                                  // what arrived, with headers
//
// Routes match the path exactly (query ignored); anything else is 404 "not found".
// Routes can be added at any time (thread-safe). Handlers run on the site's thread.
// The destructor drains the server (hanging requests are cancelled) and joins.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "runtime/http_message.h"
#include "runtime/task.h"

namespace ec::rt {
class Reactor;
}

namespace ec::test {

class FixtureSite {
  public:
    struct Request {
        std::string method, target, path;
        std::vector<std::pair<std::string, std::string>> headers;
        // First value of a header (case-insensitive), "" when absent.
        std::string header(std::string_view name) const;
        bool has_header(std::string_view name) const;
    };
    struct PageOptions {
        std::string content_type = "text/html; charset=utf-8";
        int status = 200;
        int delay_ms = 0;  // answer after this long
        std::vector<std::pair<std::string, std::string>> headers;
    };
    using Handler = std::function<rt::Task<void>(rt::HttpRequest&, rt::HttpResponse&)>;

    FixtureSite();
    ~FixtureSite();
    FixtureSite(const FixtureSite&) = delete;
    FixtureSite& operator=(const FixtureSite&) = delete;

    uint16_t port() const noexcept { return _port; }
    // "http://127.0.0.1:<port>"
    std::string origin() const;
    // origin() + path
    std::string url(std::string_view path) const;

    void page(const std::string& path, std::string body, PageOptions opts);
    void page(const std::string& path, std::string body) { page(path, std::move(body), PageOptions{}); }
    void redirect(const std::string& path, int status, std::string location);
    // Accepts the request and never answers it (until the site shuts down).
    void hang(const std::string& path);
    void handler(const std::string& path, Handler h);

    std::vector<Request> requests() const;
    std::vector<Request> requests_for(std::string_view path) const;
    size_t count(std::string_view path) const { return requests_for(path).size(); }
    void clear_requests();

  private:
    struct Impl;
    Handler find(std::string_view path) const;
    void record(const rt::HttpRequest& req);

    mutable std::mutex _mu;
    std::map<std::string, Handler, std::less<>> _routes;
    std::vector<Request> _log;
    std::unique_ptr<Impl> _impl;
    std::thread _thread;
    std::atomic<uint16_t> _port{0};
};

}  // namespace ec::test
