// JSON helpers for the DevTools protocol: a tiny builder for flat command params (strings
// escaped by rt::json_append_string, so always valid UTF-8 on the wire: Chromium rejects a
// message that is not) and null-safe getters over simdjson DOM elements.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/json_writer.h"

namespace ec::rs {

using rt::json_append_string;

// Builds one JSON object: JsonObject o; o.str("url", u).num("width", 5); o.take().
class JsonObject {
  public:
    JsonObject() { _s.push_back('{'); }
    JsonObject& str(std::string_view key, std::string_view v) {
        add_key(key);
        json_append_string(_s, v);
        return *this;
    }
    JsonObject& num(std::string_view key, int64_t v) {
        add_key(key);
        _s += std::to_string(v);
        return *this;
    }
    JsonObject& boolean(std::string_view key, bool v) {
        add_key(key);
        _s += v ? "true" : "false";
        return *this;
    }
    // `json` must already be valid JSON (an object, array, number...).
    JsonObject& raw(std::string_view key, std::string_view json) {
        add_key(key);
        _s += json;
        return *this;
    }
    std::string take() {
        _s.push_back('}');
        return std::move(_s);
    }

  private:
    void add_key(std::string_view key) {
        if (_s.size() > 1) _s.push_back(',');
        json_append_string(_s, key);
        _s.push_back(':');
    }
    std::string _s;
};

// A possibly-absent DOM value with defaulting getters; absent values (missing key,
// wrong type) read as the default. Valid only while the parser that made it lives and
// has not parsed another document.
class JsonView {
  public:
    JsonView() = default;
    explicit JsonView(simdjson::dom::element e) : _e(e), _ok(true) {}

    bool valid() const noexcept { return _ok; }
    JsonView operator[](std::string_view key) const {
        simdjson::dom::element c;
        if (!_ok || _e[key].get(c) != simdjson::SUCCESS) return {};
        return JsonView(c);
    }
    std::string_view str(std::string_view def = {}) const {
        std::string_view v;
        return _ok && _e.get(v) == simdjson::SUCCESS ? v : def;
    }
    int64_t i64(int64_t def = 0) const {
        if (!_ok) return def;
        int64_t v;
        if (_e.get(v) == simdjson::SUCCESS) return v;
        uint64_t u;
        if (_e.get(u) == simdjson::SUCCESS) return static_cast<int64_t>(u);
        double d;
        if (_e.get(d) == simdjson::SUCCESS) return static_cast<int64_t>(d);
        return def;
    }
    double num(double def = 0) const {
        if (!_ok) return def;
        double d;
        if (_e.get(d) == simdjson::SUCCESS) return d;
        int64_t v;
        if (_e.get(v) == simdjson::SUCCESS) return static_cast<double>(v);
        uint64_t u;
        if (_e.get(u) == simdjson::SUCCESS) return static_cast<double>(u);
        return def;
    }
    bool boolean(bool def = false) const {
        bool v;
        return _ok && _e.get(v) == simdjson::SUCCESS ? v : def;
    }
    bool is_object() const noexcept { return _ok && _e.type() == simdjson::dom::element_type::OBJECT; }
    bool is_array() const noexcept { return _ok && _e.type() == simdjson::dom::element_type::ARRAY; }
    bool is_string() const noexcept { return _ok && _e.type() == simdjson::dom::element_type::STRING; }

    // Calls f(JsonView) for each array element (nothing for a non-array).
    template <class F>
    void each(F&& f) const {
        simdjson::dom::array a;
        if (!_ok || _e.get(a) != simdjson::SUCCESS) return;
        for (simdjson::dom::element x : a)
            f(JsonView(x));
    }
    // Calls f(std::string_view key, JsonView value) for each object member.
    template <class F>
    void each_field(F&& f) const {
        simdjson::dom::object o;
        if (!_ok || _e.get(o) != simdjson::SUCCESS) return;
        for (auto field : o)
            f(field.key, JsonView(field.value));
    }

  private:
    simdjson::dom::element _e;
    bool _ok = false;
};

}  // namespace ec::rs
