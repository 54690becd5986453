#include "chrome_network_tracker.h"

#include <algorithm>

namespace ec::rs {

namespace {

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::string UrlOrigin::to_string() const {
    std::string s = scheme + "://" + host;
    const bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
    if (!default_port && port > 0) s += ":" + std::to_string(port);
    return s;
}

std::string_view url_host(std::string_view url) {
    const size_t sep = url.find("://");
    if (sep == std::string_view::npos) return {};
    std::string_view rest = url.substr(sep + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
    if (rest.starts_with("[")) {
        const size_t close = rest.find(']');
        return close == std::string_view::npos ? rest : rest.substr(0, close + 1);
    }
    return rest.substr(0, rest.find(':'));
}

UrlOrigin parse_origin(std::string_view url) {
    UrlOrigin o;
    const size_t sep = url.find("://");
    if (sep == std::string_view::npos || sep == 0) return o;
    for (char c : url.substr(0, sep))
        o.scheme.push_back(lower(c));
    std::string_view rest = url.substr(sep + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
    std::string_view host = rest, port;
    if (rest.starts_with("[")) {
        const size_t close = rest.find(']');
        if (close == std::string_view::npos) return {};
        host = rest.substr(0, close + 1);
        if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
    } else if (const size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    }
    for (char c : host)
        o.host.push_back(lower(c));
    if (!port.empty()) {
        int p = 0;
        for (char c : port) {
            if (c < '0' || c > '9' || p > 65535) return {};
            p = p * 10 + (c - '0');
        }
        o.port = p;
    } else {
        o.port = o.scheme == "https" ? 443 : o.scheme == "http" ? 80 : 0;
    }
    return o;
}

bool NetworkTracker::is_same_origin(std::string_view host) const noexcept {
    if (host == _target_host) return true;
    return host.size() > _target_host.size() && host.ends_with(_target_host) &&
           host[host.size() - _target_host.size() - 1] == '.';
}

int NetworkTracker::domain_index(std::string_view host) {
    auto it = _domain_idx.find(std::string(host));
    if (it != _domain_idx.end()) return it->second;
    if (_domains.size() >= kMaxDomains) return -1;
    const int idx = static_cast<int>(_domains.size());
    _domains.push_back(Domain{.host = std::string(host), .s = {}, .latency_sum = 0, .latency_n = 0});
    _domain_idx.emplace(std::string(host), idx);
    return idx;
}

void NetworkTracker::add_type(std::vector<std::pair<std::string, int64_t>>& v, std::string_view type,
                              int64_t n) {
    for (auto& [k, c] : v) {
        if (k == type) {
            c += n;
            return;
        }
    }
    v.emplace_back(std::string(type), n);
}

void NetworkTracker::count_status(int status) {
    if (status < 200 || status > 599) return;
    const std::string key = std::to_string(status / 100) + "xx";
    add_type(_m.status_counts, key, 1);
}

void NetworkTracker::on_request(JsonView p, uint64_t now_ms) {
    const std::string_view id = p["requestId"].str();
    const std::string_view url = p["request"]["url"].str();
    std::string_view type = p["type"].str("Other");
    if (JsonView redirect = p["redirectResponse"]; redirect.valid()) {
        // The previous hop of this request id got a 3xx.
        count_status(static_cast<int>(redirect["status"].i64()));
    }
    if (_first_request_ms == 0) _first_request_ms = now_ms;
    ++_m.total_requests;
    add_type(_m.requests_by_type, type, 1);
    const std::string_view host = url_host(url);
    Req r;
    r.type = std::string(type);
    r.sent_ts = p["timestamp"].num();
    if (!host.empty()) {
        r.has_host = true;
        r.same_origin = is_same_origin(host);
        if (r.same_origin) {
            ++_m.same_origin_requests;
        } else {
            ++_m.third_party_requests;
            if (std::ranges::find(_third_party_hosts, host) == _third_party_hosts.end())
                _third_party_hosts.emplace_back(host);
        }
        r.domain = domain_index(host);
        if (r.domain >= 0) ++_domains[static_cast<size_t>(r.domain)].s.requests;
    }
    if (_reqs.size() < kMaxTracked || _reqs.contains(std::string(id))) _reqs[std::string(id)] = std::move(r);
}

void NetworkTracker::on_response(JsonView p, uint64_t now_ms) {
    JsonView resp = p["response"];
    count_status(static_cast<int>(resp["status"].i64()));
    _last_response_ms = now_ms;
    auto it = _reqs.find(std::string(p["requestId"].str()));
    if (it == _reqs.end() || it->second.domain < 0) return;
    const double ts = p["timestamp"].num();
    if (ts > 0 && it->second.sent_ts > 0 && ts >= it->second.sent_ts) {
        Domain& d = _domains[static_cast<size_t>(it->second.domain)];
        d.latency_sum += ts - it->second.sent_ts;
        ++d.latency_n;
    }
}

void NetworkTracker::on_finished(JsonView p, uint64_t now_ms) {
    const int64_t bytes = p["encodedDataLength"].i64();
    _m.total_bytes += bytes;
    _last_response_ms = now_ms;
    auto it = _reqs.find(std::string(p["requestId"].str()));
    if (it == _reqs.end()) return;
    const Req& r = it->second;
    add_type(_m.bytes_by_type, r.type, bytes);
    if (r.has_host) {
        if (r.same_origin) {
            _m.same_origin_bytes += bytes;
        } else {
            _m.third_party_bytes += bytes;
        }
    }
    if (r.domain >= 0) _domains[static_cast<size_t>(r.domain)].s.bytes += bytes;
}

void NetworkTracker::on_failed(JsonView p, uint64_t) {
    const bool blocked = !p["blockedReason"].str().empty();
    if (blocked) {
        ++_m.blocked_count;
    } else {
        ++_m.failed_count;
    }
    auto it = _reqs.find(std::string(p["requestId"].str()));
    if (it == _reqs.end() || it->second.domain < 0) return;
    DomainStats& s = _domains[static_cast<size_t>(it->second.domain)].s;
    if (blocked) {
        ++s.blocked;
    } else {
        ++s.failed;
    }
}

std::string_view NetworkTracker::type_of(std::string_view request_id) const {
    auto it = _reqs.find(std::string(request_id));
    return it == _reqs.end() ? std::string_view() : std::string_view(it->second.type);
}

void NetworkTracker::fill(RenderMetrics& m) const {
    m.total_requests = _m.total_requests;
    m.total_bytes = _m.total_bytes;
    m.bytes_by_type = _m.bytes_by_type;
    m.requests_by_type = _m.requests_by_type;
    m.status_counts = _m.status_counts;
    m.same_origin_requests = _m.same_origin_requests;
    m.same_origin_bytes = _m.same_origin_bytes;
    m.third_party_requests = _m.third_party_requests;
    m.third_party_bytes = _m.third_party_bytes;
    m.third_party_domains = static_cast<int64_t>(_third_party_hosts.size());
    m.blocked_count = _m.blocked_count;
    m.failed_count = _m.failed_count;
    m.time_to_first_request = _first_request_ms >= _start_ms && _first_request_ms
                                  ? static_cast<double>(_first_request_ms - _start_ms) / 1000.0
                                  : 0;
    m.time_to_last_response = _last_response_ms >= _start_ms && _last_response_ms
                                  ? static_cast<double>(_last_response_ms - _start_ms) / 1000.0
                                  : 0;
    m.domain_stats.clear();
    m.domain_stats.reserve(_domains.size());
    for (const Domain& d : _domains) {
        DomainStats s = d.s;
        s.avg_latency = d.latency_n ? d.latency_sum / static_cast<double>(d.latency_n) : 0;
        m.domain_stats.emplace_back(d.host, s);
    }
}

}  // namespace ec::rs
