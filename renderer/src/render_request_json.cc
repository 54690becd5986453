#include "render_request_json.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "runtime/duration.h"

namespace ec::rs {
namespace {

namespace od = simdjson::ondemand;

constexpr size_t kMaxId = 256;
constexpr size_t kMaxUrl = size_t{32} * 1024;
constexpr size_t kMaxList = 1000;
constexpr int64_t kDefaultTimeoutNs = 30'000'000'000;

bool lower_starts_with(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (static_cast<char>(std::tolower(static_cast<unsigned char>(s[i]))) != prefix[i]) return false;
    return true;
}

bool read_string(od::value v, std::string_view name, std::string& out, std::string& error) {
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) {
        error = std::string(name) + " must be a string";
        return false;
    }
    out.assign(s);
    return true;
}

bool read_int(od::value v, std::string_view name, int64_t& out, std::string& error) {
    if (v.get_int64().get(out) == simdjson::SUCCESS) return true;
    double d = 0;
    if (v.get_double().get(d) == simdjson::SUCCESS && std::isfinite(d) && d == std::floor(d) &&
        std::fabs(d) < 9e18) {
        out = static_cast<int64_t>(d);
        return true;
    }
    error = std::string(name) + " must be an integer";
    return false;
}

// Integer nanoseconds (Go's time.Duration in JSON) or a duration string ("15s").
bool read_duration(od::value v, std::string_view name, int64_t& out, std::string& error) {
    od::json_type t;
    if (v.type().get(t) != simdjson::SUCCESS) {
        error = std::string(name) + " must be a duration";
        return false;
    }
    if (t == od::json_type::string) {
        std::string_view s;
        if (v.get_string().get(s) != simdjson::SUCCESS) {
            error = std::string(name) + " must be a duration";
            return false;
        }
        std::string why;
        auto d = rt::parse_duration(s, &why);
        if (!d) {
            error = std::string(name) + ": " + why;
            return false;
        }
        out = d->count();
        return true;
    }
    if (t == od::json_type::number) return read_int(v, name, out, error);
    error = std::string(name) + " must be integer nanoseconds or a duration string";
    return false;
}

bool read_bool(od::value v, std::string_view name, bool& out, std::string& error) {
    if (v.get_bool().get(out) != simdjson::SUCCESS) {
        error = std::string(name) + " must be true or false";
        return false;
    }
    return true;
}

bool read_string_list(od::value v, std::string_view name, std::vector<std::string>& out, std::string& error) {
    od::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS) {
        error = std::string(name) + " must be a list of strings";
        return false;
    }
    for (auto item : arr) {
        std::string_view s;
        if (item.get_string().get(s) != simdjson::SUCCESS) {
            error = std::string(name) + " must be a list of strings";
            return false;
        }
        if (out.size() >= kMaxList) {
            error = std::string(name) + " has more than " + std::to_string(kMaxList) + " entries";
            return false;
        }
        out.emplace_back(s);
    }
    return true;
}

bool read_headers(od::value v, HeaderList& out, std::string& error) {
    od::object obj;
    if (v.get_object().get(obj) != simdjson::SUCCESS) {
        error = "headers must be an object of string lists";
        return false;
    }
    for (auto field : obj) {
        std::string_view key;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
            error = "headers: invalid name";
            return false;
        }
        if (key.empty() || std::any_of(key.begin(), key.end(), [](char c) {
                return static_cast<unsigned char>(c) <= 0x20 || c == ':' || c == 0x7f;
            })) {
            error = "headers: invalid header name '" + std::string(key) + "'";
            return false;
        }
        std::pair<std::string, std::vector<std::string>> h;
        h.first.assign(key);
        od::value val;
        if (field.value().get(val) != simdjson::SUCCESS) {
            error = "headers: invalid value";
            return false;
        }
        od::json_type t;
        if (val.type().get(t) != simdjson::SUCCESS) {
            error = "headers: invalid value";
            return false;
        }
        if (t == od::json_type::string) {
            std::string_view s;
            if (val.get_string().get(s) != simdjson::SUCCESS) {
                error = "headers: invalid value";
                return false;
            }
            h.second.emplace_back(s);
        } else if (t != od::json_type::null) {
            if (!read_string_list(val, "headers." + h.first, h.second, error)) return false;
        }
        for (const auto& s : h.second) {
            if (s.find_first_of("\r\n") != std::string::npos) {
                error = "headers." + h.first + ": value contains a line break";
                return false;
            }
        }
        if (out.size() >= kMaxList) {
            error = "headers has too many entries";
            return false;
        }
        out.push_back(std::move(h));
    }
    return true;
}

}  // namespace

bool is_renderable_url(std::string_view url) {
    size_t skip = 0;
    if (lower_starts_with(url, "http://"))
        skip = 7;
    else if (lower_starts_with(url, "https://"))
        skip = 8;
    else
        return false;
    std::string_view rest = url.substr(skip);
    size_t end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, end);
    if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    if (authority.empty() || authority.front() == ':') return false;
    return std::none_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20; });
}

bool parse_render_request(std::string_view body, const RequestLimits& limits, RenderRequest& out,
                          std::string& error) {
    if (body.size() > kMaxRequestBody) {
        error = "request body larger than 1 MiB";
        return false;
    }
    simdjson::padded_string padded(body);
    od::parser parser;
    od::document doc;
    od::object obj;
    if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
        doc.get_object().get(obj) != simdjson::SUCCESS) {
        error = "invalid JSON: the body must be a JSON object";
        return false;
    }
    bool have_id = false, have_url = false;
    int64_t tab_id = -1;
    bool have_tab = false;
    int64_t width = 0, height = 0, timeout = 0, extra = 0;
    std::string wait_for;
    for (auto field : obj) {
        std::string_view key;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
            error = "invalid JSON: bad field name";
            return false;
        }
        od::value v;
        if (field.value().get(v) != simdjson::SUCCESS) {
            error = "invalid JSON";
            return false;
        }
        bool is_null = false;
        if (v.is_null().get(is_null) == simdjson::SUCCESS && is_null) continue;
        bool ok = true;
        if (key == "request_id") {
            ok = read_string(v, key, out.request_id, error);
            have_id = ok && !out.request_id.empty();
        } else if (key == "url") {
            ok = read_string(v, key, out.url, error);
            have_url = ok && !out.url.empty();
        } else if (key == "tab_id") {
            ok = read_int(v, key, tab_id, error);
            have_tab = ok;
        } else if (key == "viewport_width") {
            ok = read_int(v, key, width, error);
        } else if (key == "viewport_height") {
            ok = read_int(v, key, height, error);
        } else if (key == "user_agent") {
            ok = read_string(v, key, out.user_agent, error);
        } else if (key == "timeout") {
            ok = read_duration(v, key, timeout, error);
        } else if (key == "wait_for") {
            ok = read_string(v, key, wait_for, error);
        } else if (key == "extra_wait") {
            ok = read_duration(v, key, extra, error);
        } else if (key == "blocked_patterns") {
            ok = read_string_list(v, key, out.blocked_patterns, error);
        } else if (key == "blocked_resource_types") {
            ok = read_string_list(v, key, out.blocked_resource_types, error);
        } else if (key == "include_har") {
            ok = read_bool(v, key, out.include_har, error);
        } else if (key == "strip_scripts") {
            ok = read_bool(v, key, out.strip_scripts, error);
        } else if (key == "headers") {
            ok = read_headers(v, out.headers, error);
        }
        if (!ok) return false;
    }
    // The whole document must be well-formed (on-demand parsing only validates what it visits).
    const char* rest = nullptr;
    if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) {
        error = "invalid JSON: trailing content";
        return false;
    }
    if (!have_id) {
        error = "request_id is required";
        return false;
    }
    if (out.request_id.size() > kMaxId) {
        error = "request_id longer than " + std::to_string(kMaxId) + " bytes";
        return false;
    }
    if (!have_url) {
        error = "url is required";
        return false;
    }
    if (out.url.size() > kMaxUrl) {
        error = "url longer than " + std::to_string(kMaxUrl) + " bytes";
        return false;
    }
    if (!is_renderable_url(out.url)) {
        error = "invalid url '" + out.url + "': only absolute http:// and https:// URLs are rendered";
        return false;
    }
    if (have_tab) {
        if (tab_id < 0 || tab_id >= limits.pool_size) {
            error = "invalid tab_id " + std::to_string(tab_id) + " (must be between 0 and " +
                    std::to_string(limits.pool_size - 1) + ")";
            return false;
        }
        out.tab_id = static_cast<int>(tab_id);
    }
    auto viewport = [&](int64_t v, const char* name, int& field) {
        if (v == 0) return true;
        if (v < 1 || v > 16384) {
            error = std::string(name) + " must be between 1 and 16384, got " + std::to_string(v);
            return false;
        }
        field = static_cast<int>(v);
        return true;
    };
    if (!viewport(width, "viewport_width", out.viewport_width) ||
        !viewport(height, "viewport_height", out.viewport_height)) {
        return false;
    }
    if (!wait_for.empty()) {
        if (wait_for != "DOMContentLoaded" && wait_for != "load" && wait_for != "networkIdle" &&
            wait_for != "networkAlmostIdle") {
            error = "invalid wait_for '" + wait_for +
                    "' (DOMContentLoaded, load, networkIdle or networkAlmostIdle)";
            return false;
        }
        out.wait_for = wait_for;
    }
    out.timeout_ns = timeout > 0 ? timeout : kDefaultTimeoutNs;
    if (limits.max_timeout_ns > 0) out.timeout_ns = std::min(out.timeout_ns, limits.max_timeout_ns);
    out.extra_wait_ns = std::max<int64_t>(extra, 0);
    if (limits.max_timeout_ns > 0) out.extra_wait_ns = std::min(out.extra_wait_ns, limits.max_timeout_ns);
    return true;
}

}  // namespace ec::rs
