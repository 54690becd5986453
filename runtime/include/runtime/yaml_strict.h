// Strict reading of YAML configuration files with `file:line` diagnostics.
//
// A MapReader wraps one mapping. Every getter names a key the mapping accepts; finish() then reports every
// other key as "unknown key 'x' (did you mean 'y'?)". Type mismatches are reported with file:line and the
// dotted key path, and the field is marked invalid so later "required" checks stay quiet. Duplicate keys are
// errors. Nothing stops at the first problem: all of them end up in the Diagnostics.
//
//   rt::Diagnostics diag;
//   rt::yaml::ReadContext ctx{path, &diag, &env};
//   YAML::Node root;
//   if (!rt::yaml::load_file(path, root, ctx)) ...;       // syntax errors are reported with their line
//   rt::yaml::MapReader top(root, "", ctx);
//   YAML::Node n; int line = 0;
//   if (top.section("server", n, line)) {
//       rt::yaml::MapReader s(n, "server", ctx);
//       s.str("listen", cfg.listen);                      // rt::Setting<std::string>
//       s.duration("timeout", cfg.timeout);               // Go syntax + d/w (duration.h)
//       s.finish();
//   }
//   top.finish();
//
// Domain-free: the schema lives in the caller. Single-threaded; a ReadContext outlives its readers.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/config_diagnostics.h"
#include "runtime/config_setting.h"
#include "runtime/duration.h"

namespace ec::rt::yaml {

// Looks an environment variable up; returns false when unset. Injectable for tests.
using EnvLookup = std::function<bool(const std::string& name, std::string& value)>;

// The process environment (getenv), for loaders run before threads start.
bool process_env(const std::string& name, std::string& value);

struct ReadContext {
    std::string file;
    Diagnostics* diag = nullptr;
    const EnvLookup* env = nullptr;
};

// Parses `path` into `root`. An unreadable file ("cannot read file") or a syntax error ("YAML syntax error:
// ...", with its line) is reported to ctx.diag and returns false.
bool load_file(const std::string& path, YAML::Node& root, ReadContext& ctx);

// 1-based line of `node`, or `fallback` when unknown.
int line_of(const YAML::Node& node, int fallback = 0);

// Edit distance used for "did you mean" (Levenshtein, small strings).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The closest of `candidates` to `word` when it is close enough to be a plausible typo (distance at most
// max(2, len/4)), else "".
std::string did_you_mean(std::string_view word, std::span<const std::string> candidates);

class MapReader {
  public:
    // `node` must be a mapping (or null for an empty section). `path` is the dotted key path for messages
    // ("server", "hosts[0].render").
    MapReader(const YAML::Node& node, std::string path, ReadContext& ctx);

    bool ok() const { return _ok; }
    const std::string& path() const { return _path; }
    ReadContext& ctx() { return _ctx; }

    // Raw access; marks the key known. Returns an undefined node when absent.
    YAML::Node take(std::string_view key, int* key_line = nullptr);

    // `expand_env` substitutes ${VAR} from ctx.env; an unset variable is an error naming it.
    void str(std::string_view key, Setting<std::string>& out, bool expand_env = false);
    void boolean(std::string_view key, Setting<bool>& out);
    void integer(std::string_view key, Setting<std::int64_t>& out);
    void duration(std::string_view key, Setting<Duration>& out);
    void str_list(std::string_view key, Setting<std::vector<std::string>>& out);
    void int_list(std::string_view key, Setting<std::vector<std::int64_t>>& out);

    // A nested mapping: returns true (and the node) when present and a mapping; reports a type error
    // otherwise.
    bool section(std::string_view key, YAML::Node& out, int& line);

    std::string key_path(std::string_view key) const {
        return _path.empty() ? std::string(key) : _path + "." + std::string(key);
    }

    // Reports unknown keys. Call once after every getter.
    void finish();

    void type_error(const YAML::Node& node, std::string_view key, std::string_view expected);

  private:
    struct Entry {
        std::string key;
        YAML::Node key_node;
        YAML::Node value;
        bool used = false;
    };
    Entry* find(std::string_view key);

    std::string _path;
    ReadContext& _ctx;
    std::vector<Entry> _entries;
    std::vector<std::string> _known;
    bool _ok = true;
};

// Scalar conversions shared with list readers (yaml.v3 semantics: "1_000", "0x10", "1.0" are integers;
// YAML 1.1 yes/no/on/off are booleans).
bool scalar_to_int(const YAML::Node& node, std::int64_t& out);
bool scalar_to_bool(const YAML::Node& node, bool& out);
// Replaces each ${NAME} in `value`; on an unset variable returns false with its name in `missing`.
bool substitute_env(std::string& value, const EnvLookup& env, std::string& missing);

}  // namespace ec::rt::yaml
