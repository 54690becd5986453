// Strict reading of one YAML mapping into model::Setting fields (private to the config library).
//
// Every getter names a key the level accepts; finish() then reports every other key as
// "unknown key 'x' (did you mean 'y'?)". Type mismatches are reported with file:line and the key path, and
// the field is marked invalid so later "required" checks stay quiet.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config_model.h"
#include "gateway/diagnostics.h"

namespace ec::gw::detail {

// Looks an environment variable up; returns false when unset. Injectable for tests.
using EnvLookup = std::function<bool(const std::string& name, std::string& value)>;

struct ReadContext {
    std::string file;
    Diagnostics* diag = nullptr;
    const EnvLookup* env = nullptr;
};

int line_of(const YAML::Node& node, int fallback = 0);

// Edit distance used for "did you mean" (Levenshtein, small strings).
std::size_t edit_distance(std::string_view a, std::string_view b);

class MapReader {
  public:
    // `node` must be a mapping (or null for an empty section). `path` is the dotted key path for messages
    // ("server", "hosts[0].render").
    MapReader(const YAML::Node& node, std::string path, ReadContext& ctx);

    bool ok() const { return _ok; }
    const std::string& path() const { return _path; }
    ReadContext& ctx() { return _ctx; }

    // Raw access; marks the key known. Returns a null node when absent.
    YAML::Node take(std::string_view key, int* key_line = nullptr);

    void str(std::string_view key, model::Setting<std::string>& out, bool expand_env = false);
    void boolean(std::string_view key, model::Setting<bool>& out);
    void integer(std::string_view key, model::Setting<std::int64_t>& out);
    void duration(std::string_view key, model::Setting<Duration>& out);
    void str_list(std::string_view key, model::Setting<model::StringList>& out);
    void int_list(std::string_view key, model::Setting<model::IntList>& out);

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

// Scalar conversions shared with list readers.
bool scalar_to_int(const YAML::Node& node, std::int64_t& out);
bool scalar_to_bool(const YAML::Node& node, bool& out);
bool substitute_env(std::string& value, const EnvLookup& env, std::string& missing);

}  // namespace ec::gw::detail
