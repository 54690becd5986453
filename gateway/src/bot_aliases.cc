#include "gateway/bot_aliases.h"

#include <algorithm>

namespace ec::gw {
namespace {

constexpr int k_max_nesting = 1;
constexpr std::size_t k_max_listed = 5;

bool expand(std::span<const std::string_view> in, int depth, std::vector<std::string>& out,
            std::vector<std::string>& unknown, std::string* error) {
    for (std::string_view p : in) {
        if (!p.starts_with("$")) {
            out.emplace_back(p);
            continue;
        }
        const BotAlias* alias = find_bot_alias(p.substr(1));
        if (!alias) {
            unknown.emplace_back(p);
            continue;
        }
        bool nested = std::any_of(alias->patterns.begin(), alias->patterns.end(),
                                  [](std::string_view x) { return x.starts_with("$"); });
        if (!nested) {
            out.insert(out.end(), alias->patterns.begin(), alias->patterns.end());
            continue;
        }
        if (depth + 1 > k_max_nesting) {
            if (error) *error = "alias nesting exceeds maximum depth of 1";
            return false;
        }
        if (!expand(alias->patterns, depth + 1, out, unknown, error)) return false;
    }
    return true;
}

}  // namespace

const BotAlias* find_bot_alias(std::string_view name) {
    for (const BotAlias& a : bot_aliases()) {
        if (a.name == name) return &a;
    }
    return nullptr;
}

bool expand_bot_aliases(const std::vector<std::string>& patterns, std::vector<std::string>& out,
                        std::string* error) {
    std::vector<std::string_view> in(patterns.begin(), patterns.end());
    std::vector<std::string> unknown;
    out.clear();
    if (!expand(in, 0, out, unknown, error)) return false;
    if (unknown.empty()) return true;
    if (!error) return false;
    std::string msg = unknown.size() == 1 ? "unknown bot alias " : "unknown bot aliases ";
    for (std::size_t i = 0; i < unknown.size(); ++i) {
        if (i) msg += ", ";
        msg += "\"" + unknown[i] + "\"";
    }
    std::vector<std::string_view> names;
    for (const BotAlias& a : bot_aliases())
        names.push_back(a.name);
    std::sort(names.begin(), names.end());
    msg += " (available aliases: ";
    for (std::size_t i = 0; i < names.size() && i < k_max_listed; ++i) {
        if (i) msg += ", ";
        msg += "$";
        msg += names[i];
    }
    if (names.size() > k_max_listed)
        msg += " ... and " + std::to_string(names.size() - k_max_listed) + " more";
    msg += ")";
    *error = msg;
    return false;
}

}  // namespace ec::gw
