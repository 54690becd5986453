// Serves a metrics::Registry over the HTTP server: GET/HEAD of exactly `path` answers 200 with the text
// exposition; any other path answers 404 "Not Found" (as the reference's metrics servers do); other methods
// on `path` answer 405. Synchronous (no coroutine frame per scrape).
//
// Core affinity: the handler runs on the registry's core.
#pragma once

#include <string>
#include <utility>

#include "runtime/http_server.h"
#include "runtime/metrics.h"

namespace ec::rt::metrics {

class MetricsHandler final : public HttpHandler {
  public:
    MetricsHandler(const Registry& reg, std::string path) : _reg(reg), _path(std::move(path)) {}

    bool try_handle(HttpRequest& req, HttpResponse& res) override {
        if (req.path() != _path) {
            res.set_status(404);
            res.add_header("Content-Type", "text/plain; charset=utf-8");
            res.set_body("Not Found");
            return true;
        }
        if (!req.is_get_or_head()) {
            res.set_status(405);
            res.add_header("Allow", "GET, HEAD");
            res.add_header("Content-Type", "text/plain; charset=utf-8");
            res.set_body("Method Not Allowed");
            return true;
        }
        std::string body;
        body.reserve(_last_size + 256);
        _reg.expose(body);
        _last_size = body.size();
        res.set_status(200);
        res.add_header("Content-Type", kTextContentType);
        res.set_body(std::move(body));
        return true;
    }
    Task<void> handle(HttpRequest& req, HttpResponse& res) override {
        try_handle(req, res);
        co_return;
    }

  private:
    const Registry& _reg;
    std::string _path;
    size_t _last_size = 0;
};

}  // namespace ec::rt::metrics
