// One configuration value exactly as written: "not set" kept apart from "set to the zero value", plus the
// line it came from so validators can point at it. Filled by yaml::MapReader (yaml_strict.h).
#pragma once

#include <optional>

namespace ec::rt {

template <class T>
struct Setting {
    std::optional<T> value;
    int line = 0;          // line of the value (or of its key)
    bool invalid = false;  // present but unusable; an error was already reported

    bool has() const { return value.has_value(); }
    const T& operator*() const { return *value; }
    const T* operator->() const { return &*value; }
    T value_or(T fallback) const { return value ? *value : fallback; }
};

}  // namespace ec::rt
