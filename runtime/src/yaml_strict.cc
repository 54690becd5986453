#include "runtime/yaml_strict.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace ec::rt::yaml {
namespace {

bool is_plain(const YAML::Node& node) {
    return node.Tag() == "?" || node.Tag().empty();
}

}  // namespace

int line_of(const YAML::Node& node, int fallback) {
    if (!node.IsDefined()) return fallback;
    const YAML::Mark m = node.Mark();
    if (m.is_null() || m.line < 0) return fallback;
    return m.line + 1;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1);
    std::vector<std::size_t> cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string did_you_mean(std::string_view word, std::span<const std::string> candidates) {
    std::string best;
    std::size_t best_d = std::string::npos;
    for (const std::string& k : candidates) {
        std::size_t d = edit_distance(word, k);
        if (d < best_d) {
            best = k;
            best_d = d;
        }
    }
    if (!best.empty() && best_d <= std::max<std::size_t>(2, word.size() / 4)) return best;
    return {};
}

bool process_env(const std::string& name, std::string& value) {
    const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read at load only
    if (!v) return false;
    value = v;
    return true;
}

bool load_file(const std::string& path, YAML::Node& root, ReadContext& ctx) {
    try {
        root = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
        ctx.diag->error(path, 0, "cannot read file");
        return false;
    } catch (const YAML::Exception& e) {
        ctx.diag->error(path, e.mark.is_null() ? 0 : e.mark.line + 1, "YAML syntax error: " + e.msg);
        return false;
    }
    return true;
}

bool scalar_to_int(const YAML::Node& node, std::int64_t& out) {
    if (!node.IsScalar() || !is_plain(node)) return false;
    std::string s = node.Scalar();
    s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
    if (s.empty()) return false;
    std::string_view v(s);
    bool neg = false;
    if (v[0] == '+' || v[0] == '-') {
        neg = v[0] == '-';
        v.remove_prefix(1);
    }
    int base = 10;
    if (v.starts_with("0x") || v.starts_with("0X")) {
        base = 16;
        v.remove_prefix(2);
    } else if (v.starts_with("0o")) {
        base = 8;
        v.remove_prefix(2);
    }
    std::int64_t x = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x, base);
    if (ec == std::errc() && p == v.data() + v.size() && !v.empty()) {
        out = neg ? -x : x;
        return true;
    }
    // yaml.v3 accepts an integral float for an int field ("1.0").
    double d = 0;
    auto [q, ec2] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec2 == std::errc() && q == s.data() + s.size() && std::isfinite(d) && d == std::floor(d) &&
        std::fabs(d) < 9.0e18) {
        out = static_cast<std::int64_t>(d);
        return true;
    }
    return false;
}

bool scalar_to_bool(const YAML::Node& node, bool& out) {
    if (!node.IsScalar()) return false;
    const std::string& s = node.Scalar();
    if (is_plain(node)) {
        if (s == "true" || s == "True" || s == "TRUE") return out = true, true;
        if (s == "false" || s == "False" || s == "FALSE") return out = false, true;
    }
    // YAML 1.1 spellings, accepted for typed booleans like yaml.v3 does.
    for (const char* t : {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"}) {
        if (s == t) return out = true, true;
    }
    for (const char* f : {"n", "N", "no", "No", "NO", "off", "Off", "OFF"}) {
        if (s == f) return out = false, true;
    }
    return false;
}

bool substitute_env(std::string& value, const EnvLookup& env, std::string& missing) {
    std::string out;
    std::size_t i = 0;
    while (i < value.size()) {
        auto open = value.find("${", i);
        if (open == std::string::npos) break;
        auto close = value.find('}', open + 2);
        if (close == std::string::npos) break;
        std::string name = value.substr(open + 2, close - open - 2);
        bool valid =
            !name.empty() && !(name[0] >= '0' && name[0] <= '9') &&
            std::all_of(name.begin(), name.end(), [](char c) {
                return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            });
        out.append(value, i, open - i);
        if (!valid) {
            out.append(value, open, close + 1 - open);
        } else {
            std::string v;
            if (!env(name, v)) {
                missing = name;
                return false;
            }
            out += v;
        }
        i = close + 1;
    }
    out.append(value, i, std::string::npos);
    value = std::move(out);
    return true;
}

MapReader::MapReader(const YAML::Node& node, std::string path, ReadContext& ctx)
    : _path(std::move(path)), _ctx(ctx) {
    if (!node.IsDefined() || node.IsNull()) return;
    if (!node.IsMap()) {
        _ok = false;
        _ctx.diag->error(_ctx.file, line_of(node), "'" + _path + "' must be a mapping");
        return;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
        const YAML::Node k = it->first;  // by value: the iterator hands out a temporary proxy
        if (!k.IsScalar()) {
            _ctx.diag->error(_ctx.file, line_of(k), "'" + _path + "': keys must be plain strings");
            continue;
        }
        std::string key = k.Scalar();
        auto dup =
            std::find_if(_entries.begin(), _entries.end(), [&](const Entry& e) { return e.key == key; });
        if (dup != _entries.end()) {
            _ctx.diag->error(
                _ctx.file, line_of(k),
                "key '" + key + "' already defined at line " + std::to_string(line_of(dup->key_node)));
            continue;
        }
        _entries.push_back({key, k, it->second, false});
    }
}

MapReader::Entry* MapReader::find(std::string_view key) {
    _known.emplace_back(key);
    for (Entry& e : _entries) {
        if (e.key == key) {
            e.used = true;
            return &e;
        }
    }
    return nullptr;
}

YAML::Node MapReader::take(std::string_view key, int* key_line) {
    Entry* e = find(key);
    if (!e) return YAML::Node(YAML::NodeType::Undefined);
    if (key_line) *key_line = line_of(e->key_node);
    return e->value;
}

void MapReader::type_error(const YAML::Node& node, std::string_view key, std::string_view expected) {
    std::string shown = node.IsScalar() ? " (got '" + node.Scalar() + "')" : "";
    _ctx.diag->error(_ctx.file, line_of(node),
                     "'" + key_path(key) + "' must be " + std::string(expected) + shown);
}

void MapReader::str(std::string_view key, Setting<std::string>& out, bool expand_env) {
    Entry* e = find(key);
    if (!e || e->value.IsNull()) return;
    out.line = line_of(e->value, line_of(e->key_node));
    if (!e->value.IsScalar()) {
        type_error(e->value, key, "a string");
        out.invalid = true;
        return;
    }
    std::string v = e->value.Scalar();
    if (expand_env && _ctx.env && *_ctx.env) {
        std::string missing;
        if (!substitute_env(v, *_ctx.env, missing)) {
            _ctx.diag->error(
                _ctx.file, out.line,
                "environment variable '" + missing + "' referenced by '" + key_path(key) + "' is not set");
            out.invalid = true;
            return;
        }
    }
    out.value = std::move(v);
}

void MapReader::boolean(std::string_view key, Setting<bool>& out) {
    Entry* e = find(key);
    if (!e || e->value.IsNull()) return;
    out.line = line_of(e->value, line_of(e->key_node));
    bool b = false;
    if (!scalar_to_bool(e->value, b)) {
        type_error(e->value, key, "true or false");
        out.invalid = true;
        return;
    }
    out.value = b;
}

void MapReader::integer(std::string_view key, Setting<std::int64_t>& out) {
    Entry* e = find(key);
    if (!e || e->value.IsNull()) return;
    out.line = line_of(e->value, line_of(e->key_node));
    std::int64_t v = 0;
    if (!scalar_to_int(e->value, v)) {
        type_error(e->value, key, "an integer");
        out.invalid = true;
        return;
    }
    out.value = v;
}

void MapReader::duration(std::string_view key, Setting<Duration>& out) {
    Entry* e = find(key);
    if (!e || e->value.IsNull()) return;
    out.line = line_of(e->value, line_of(e->key_node));
    if (!e->value.IsScalar()) {
        type_error(e->value, key, "a duration");
        out.invalid = true;
        return;
    }
    std::string err;
    auto d = parse_duration(e->value.Scalar(), &err);
    if (!d) {
        _ctx.diag->error(_ctx.file, out.line, "'" + key_path(key) + "': " + err);
        out.invalid = true;
        return;
    }
    out.value = *d;
}

void MapReader::str_list(std::string_view key, Setting<std::vector<std::string>>& out) {
    Entry* e = find(key);
    if (!e || e->value.IsNull()) return;
    out.line = line_of(e->value, line_of(e->key_node));
    if (!e->value.IsSequence()) {
        type_error(e->value, key, "a list of strings");
        out.invalid = true;
        return;
    }
    std::vector<std::string> list;
    for (const auto& item : e->value) {
        if (!item.IsScalar()) {
            type_error(item, key, "a list of strings");
            out.invalid = true;
            return;
        }
        list.push_back(item.Scalar());
    }
    out.value = std::move(list);
}

void MapReader::int_list(std::string_view key, Setting<std::vector<std::int64_t>>& out) {
    Entry* e = find(key);
    if (!e || e->value.IsNull()) return;
    out.line = line_of(e->value, line_of(e->key_node));
    if (!e->value.IsSequence()) {
        type_error(e->value, key, "a list of integers");
        out.invalid = true;
        return;
    }
    std::vector<std::int64_t> list;
    for (const auto& item : e->value) {
        std::int64_t v = 0;
        if (!scalar_to_int(item, v)) {
            type_error(item, key, "a list of integers");
            out.invalid = true;
            return;
        }
        list.push_back(v);
    }
    out.value = std::move(list);
}

bool MapReader::section(std::string_view key, YAML::Node& out, int& line) {
    Entry* e = find(key);
    if (!e) return false;
    line = line_of(e->key_node);
    if (e->value.IsNull()) {
        out = e->value;
        return true;  // "key:" with nothing: present, empty
    }
    if (!e->value.IsMap()) {
        type_error(e->value, key, "a mapping");
        return false;
    }
    out = e->value;
    return true;
}

void MapReader::finish() {
    for (const Entry& e : _entries) {
        if (e.used) continue;
        std::string msg = "unknown key '" + e.key + "'";
        std::string best = did_you_mean(e.key, _known);
        if (!best.empty()) msg += " (did you mean '" + best + "'?)";
        _ctx.diag->error(_ctx.file, line_of(e.key_node), msg);
    }
}

}  // namespace ec::rt::yaml
