// redis::Subscriber: a separate pub/sub connection whose subscriptions survive
// reconnects.
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "redis_connection.h"
#include "runtime/redis.h"

namespace ec::rt::redis {

class Subscriber::Impl final : public detail::Connection {
  public:
    Impl(Options opts, size_t max_queued)
        : Connection(std::move(opts), "redis subscriber"), _max_queued(max_queued) {}

    struct Sub {
        std::shared_ptr<const MessageHandler> handler;  // null: messages go to the queue
    };
    using Map = std::unordered_map<std::string, Sub>;

    Map channels;
    Map patterns;
    std::deque<Message> queue;
    detail::WaitQueue readers;
    uint64_t dropped = 0;

  private:
    void on_connected() override {
        const bool again = _stats.connects > 1;
        resubscribe(channels, "SUBSCRIBE", again ? &_confirm_channels : nullptr);
        resubscribe(patterns, "PSUBSCRIBE", again ? &_confirm_patterns : nullptr);
    }

    void resubscribe(const Map& m, std::string_view verb, std::unordered_set<std::string>* announce) {
        if (announce) announce->clear();
        if (m.empty()) return;
        std::vector<std::string_view> args;
        args.reserve(m.size() + 1);
        args.push_back(verb);
        for (const auto& [name, sub] : m) {
            args.emplace_back(name);
            if (announce) announce->insert(name);
        }
        const ArgList parts[] = {ArgList(args)};
        issue_internal(parts, m.size());  // one confirmation per name
    }

    void on_closed() override { readers.notify_all(); }

    void on_reply(Reply&& r) override {
        std::string_view kind;
        if (r.is_array() && !r.elements().empty() && r.elements()[0].is_string())
            kind = r.elements()[0].str();
        auto& e = r.elements_mut();
        if (kind == "message" && e.size() == 3) {
            deliver(Message{Message::Kind::message, e[1].take_str(), {}, e[2].take_str()}, channels, false);
            return;
        }
        if (kind == "pmessage" && e.size() == 4) {
            deliver(Message{Message::Kind::message, e[2].take_str(), e[1].take_str(), e[3].take_str()},
                    patterns, true);
            return;
        }
        // Everything else answers a command: (p)(un)subscribe confirmations, pong, errors.
        if (fifo_empty()) {
            break_connection("reply without a pending command: " + r.to_string().substr(0, 200));
            return;
        }
        Call* c = fifo_pop();
        if (c) {
            complete(*c, std::move(r));
            return;
        }
        ++_stats.discarded;
        // A resubscription is confirmed: from now on nothing is missed, so tell the
        // consumer that what was published meanwhile is lost.
        if (e.size() == 3 && e[1].is_string()) {
            if (kind == "subscribe" && _confirm_channels.erase(std::string(e[1].str())))
                deliver(Message{Message::Kind::reconnected, e[1].take_str(), {}, {}}, channels, false);
            else if (kind == "psubscribe" && _confirm_patterns.erase(std::string(e[1].str())))
                deliver(Message{Message::Kind::reconnected, {}, e[1].take_str(), {}}, patterns, true);
        }
    }

    void deliver(Message m, const Map& m_map, bool by_pattern) {
        auto it = m_map.find(by_pattern ? m.pattern : m.channel);
        if (it == m_map.end()) return;  // unsubscribed meanwhile
        if (it->second.handler) {
            // Keep the handler alive even if it unsubscribes itself.
            std::shared_ptr<const MessageHandler> h = it->second.handler;
            (*h)(m);
            return;
        }
        if (_max_queued == 0) {
            ++dropped;
            return;
        }
        if (queue.size() >= _max_queued) {
            queue.pop_front();
            ++dropped;
        }
        queue.push_back(std::move(m));
        readers.notify_all();
    }

    size_t _max_queued;
    std::unordered_set<std::string> _confirm_channels;
    std::unordered_set<std::string> _confirm_patterns;
};

Subscriber::Subscriber(Options opts, size_t max_queued)
    : _impl(std::make_unique<Impl>(std::move(opts), max_queued)) {}
Subscriber::~Subscriber() = default;

Task<Expected<void>> Subscriber::connect(Deadline d) {
    return _impl->wait_connected(d);
}

namespace {
std::shared_ptr<const MessageHandler> share(MessageHandler h) {
    if (!h) return nullptr;
    return std::make_shared<const MessageHandler>(std::move(h));
}
}  // namespace

Call Subscriber::subscribe(std::string_view channel, MessageHandler handler) {
    _impl->channels[std::string(channel)] = Impl::Sub{share(std::move(handler))};
    const std::string_view args[] = {"SUBSCRIBE", channel};
    const ArgList parts[] = {ArgList(std::span<const std::string_view>(args))};
    return Call(_impl.get(), parts, _impl->default_deadline_ms(), {});
}

Call Subscriber::psubscribe(std::string_view pattern, MessageHandler handler) {
    _impl->patterns[std::string(pattern)] = Impl::Sub{share(std::move(handler))};
    const std::string_view args[] = {"PSUBSCRIBE", pattern};
    const ArgList parts[] = {ArgList(std::span<const std::string_view>(args))};
    return Call(_impl.get(), parts, _impl->default_deadline_ms(), {});
}

Call Subscriber::unsubscribe(std::string_view channel) {
    _impl->channels.erase(std::string(channel));
    const std::string_view args[] = {"UNSUBSCRIBE", channel};
    const ArgList parts[] = {ArgList(std::span<const std::string_view>(args))};
    return Call(_impl.get(), parts, _impl->default_deadline_ms(), {});
}

Call Subscriber::punsubscribe(std::string_view pattern) {
    _impl->patterns.erase(std::string(pattern));
    const std::string_view args[] = {"PUNSUBSCRIBE", pattern};
    const ArgList parts[] = {ArgList(std::span<const std::string_view>(args))};
    return Call(_impl.get(), parts, _impl->default_deadline_ms(), {});
}

Task<Expected<Message>> Subscriber::next(Deadline d, CancelToken tok) {
    Impl& s = *_impl;
    for (;;) {
        if (!s.queue.empty()) {
            Message m = std::move(s.queue.front());
            s.queue.pop_front();
            co_return m;
        }
        if (s.state() == detail::Connection::State::closed) co_return s.make_error(Errc::closed, {});
        auto outcome = co_await s.readers.wait(d.at_ms(), tok);
        if (outcome == detail::WaitQueue::Outcome::timeout && s.queue.empty())
            co_return Error{Errc::timeout,
                            "redis subscriber " + s.address() + ": no message before the deadline"};
        if (outcome == detail::WaitQueue::Outcome::cancelled)
            co_return s.make_error(Errc::cancelled, "next()");
    }
}

size_t Subscriber::queued() const noexcept {
    return _impl->queue.size();
}
uint64_t Subscriber::dropped() const noexcept {
    return _impl->dropped;
}
Task<void> Subscriber::close() {
    return _impl->close();
}
bool Subscriber::connected() const noexcept {
    return _impl->state() == detail::Connection::State::connected;
}
const Stats& Subscriber::stats() const noexcept {
    return _impl->stats();
}

}  // namespace ec::rt::redis
