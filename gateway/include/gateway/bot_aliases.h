// Bot User-Agent aliases ("$Name" inside match_ua lists, reference F-GW-08).
//
// The table is generated at build time from gateway/data/bot-aliases.yaml by tools/gen_bot_aliases.py.
// Alias patterns use the ordinary pattern syntax and are compiled like any other pattern. A composite alias
// may reference other aliases one level deep.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ec::gw {

struct BotAlias {
    std::string_view name;  // without the '$'
    std::span<const std::string_view> patterns;
};

// Every alias, in data-file order.
std::span<const BotAlias> bot_aliases();

// The alias called `name` (without '$'), or nullptr.
const BotAlias* find_bot_alias(std::string_view name);

// Expands every "$Name" entry of `patterns` (one level of composite nesting). Unknown aliases are all
// collected; on any, returns false and sets *error to
// `unknown bot alias "$X"` / `unknown bot aliases "$X", "$Y"` plus a hint listing up to five available names.
bool expand_bot_aliases(const std::vector<std::string>& patterns, std::vector<std::string>& out,
                        std::string* error);

}  // namespace ec::gw
