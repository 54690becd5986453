// Settings of the render engine, filled by the service from render-service.yaml
// (chrome.* keys, reference F-RS-01, plus our extensions noted below).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ec::rs {

struct EngineOptions {
    // Our extension `chrome.binary`. Debian's headless shell by default (DEVELOPERS.md).
    std::string chrome_binary = "/usr/lib/chromium/chromium-headless-shell";
    std::vector<std::string> extra_flags;  // our extension `chrome.extra_flags`
    int pool_size = 4;                     // chrome.pool_size: concurrent-render capacity
    int processes = 0;                     // our extension `chrome.processes`; 0 = engine decides
    std::string warmup_url;                // chrome.warmup.url ("" = no warm-up navigation)
    int64_t warmup_timeout_ms = 10'000;    // chrome.warmup.timeout
    int restart_after_count = 100;         // chrome.restart.after_count (renders per process)
    int64_t restart_after_time_ms = 3'600'000;       // chrome.restart.after_time (60 min)
    uint64_t restart_max_rss_bytes = 0;    // our extension `chrome.restart.max_rss` (0 = off)
    int64_t max_timeout_ms = 60'000;       // chrome.render.max_timeout (hard limit per render)
    // Pages kept prepared per browser process (chrome_spares.h), at most its render slots;
    // 0 = every render creates its context and page itself. Not a config key.
    int spare_pages = 2;
    std::string server_id;                 // server.id: value of X-Edge-Render on every request
    std::string user_data_root;            // parent of per-process --user-data-dir ("" = $TMPDIR)
    // Engine addition: receives one JSON log line (no newline) per engine event: process
    // start/exit, crash, restart, warm-up failure. Empty = lines go to stderr.
    std::function<void(std::string_view line)> log;
};

}  // namespace ec::rs
