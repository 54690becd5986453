// SparePages: browser contexts with a page already created, attached and set up, kept
// ready per browser process so that a render starts at its navigation.
//
// A fresh context costs three dependent browser round trips plus the start of a renderer
// process (measured here: ~50 ms of a ~580 ms render; the renderer's own start-up is
// most of it). A spare holds everything of that which does not depend on the request:
// the context, the about:blank page and its flat session, and base_page_setup() (Page,
// lifecycle, Network, Runtime, X-Edge-Render, worker auto-attach, no service workers).
// The render adds what does: user agent, viewport, blocklist, interception.
//
// Each render still gets a context of its own (isolation is unchanged): a spare is taken
// once, then owned and disposed by that render like a context it created itself. The
// engine tops the spares up after every take, in the background (the process's task
// gate). A spare whose page crashes or detaches before it is taken is dropped.
//
// Core affinity: the reactor thread of its browser process. Destroy only after the
// process's task gate is closed (no prepare() in flight).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cdp_client.h"
#include "chrome_log.h"
#include "engine_options.h"
#include "runtime/gate.h"
#include "runtime/task.h"

namespace ec::rs {

struct PreparedPage {
    std::string context_id, target_id, session;
};

// The commands every page gets before its navigation, whatever the request: method, params.
std::vector<std::pair<std::string, std::string>> base_page_setup(const EngineOptions& opts);

class SparePages final : public CdpEventSink {
  public:
    static constexpr uint64_t kPrepareTimeoutMs = 8000;

    SparePages(CdpClient& cdp, const EngineOptions& opts, const EngineLog& log, std::string chrome_id)
        : _cdp(cdp), _opts(opts), _log(log), _chrome_id(std::move(chrome_id)) {}
    ~SparePages() override;
    SparePages(const SparePages&) = delete;
    SparePages& operator=(const SparePages&) = delete;

    // A ready page, now owned by the caller (who disposes its context); nullopt when none.
    std::optional<PreparedPage> take();
    // Starts preparing pages into `gate` until `target` are ready or under way.
    void top_up(rt::Gate& gate, size_t target);
    // No more pages are prepared (the process retires or drains); ready ones are disposed.
    void stop();

    size_t ready() const noexcept { return _ready.size(); }
    size_t pending() const noexcept { return _pending; }
    uint64_t prepared_total() const noexcept { return _prepared_total; }

    void on_cdp_event(std::string_view session, std::string_view method, JsonView params) override;
    void on_cdp_detached(std::string_view session, std::string_view why) override;

  private:
    rt::Task<void> prepare();
    void dispose(const PreparedPage& p);
    void drop_session(std::string_view session);

    CdpClient& _cdp;
    const EngineOptions& _opts;
    const EngineLog& _log;
    std::string _chrome_id;
    std::deque<PreparedPage> _ready;
    std::vector<std::string> _preparing;  // sessions attached, set-up in flight
    size_t _pending = 0;
    bool _stopped = false;
    bool _logged_failure = false;
    uint64_t _prepared_total = 0;
};

}  // namespace ec::rs
