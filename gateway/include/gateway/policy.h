// The compiled per-host decision structures and the request decision itself (reference F-GW-02..F-GW-14).
//
// Everything a request needs is precomputed at load: domains in a sorted index, User-Agent patterns in
// detection order, URL rules expanded and sorted, and the fully merged configuration (global → host → rule)
// for every rule and for "no rule matched". decide() only looks things up, so it allocates nothing once the
// caller's DecisionScratch has been reserved.
//
// Thread safety: a Policy is immutable after load and may be read from any thread. RE2 objects inside lock a
// small internal cache; a core that wants zero sharing can load its own Config.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/duration.h"
#include "gateway/ip_address.h"
#include "gateway/pattern.h"
#include "gateway/url_normalize.h"

namespace ec::gw {

enum class RuleAction : std::uint8_t { render, bypass, block, status_403, status_404, status_410, status };
enum class Action : std::uint8_t { render, bypass, status };
enum class DimensionAction : std::uint8_t { render, block, bypass };
enum class WaitFor : std::uint8_t { dom_content_loaded, load, network_idle, network_almost_idle };
enum class ExpiredStrategy : std::uint8_t { remove, serve_stale };  // "delete" | "serve_stale"
enum class DistributionStrategy : std::uint8_t { hash_modulo, random, primary_only };
enum class Compression : std::uint8_t { none, snappy, lz4 };

std::string_view to_string(RuleAction a);
std::string_view to_string(Action a);
std::string_view to_string(WaitFor w);
std::string_view to_string(ExpiredStrategy s);
std::string_view to_string(DistributionStrategy s);
std::string_view to_string(Compression c);

struct ExpiredPolicy {
    ExpiredStrategy strategy = ExpiredStrategy::remove;
    Duration stale_ttl{0};
};

struct CompiledDimension {
    std::string name;
    int id = 0;  // 0 = the built-in bypass dimension
    DimensionAction action = DimensionAction::render;
    int width = 0;
    int height = 0;
    std::string render_ua;
    std::vector<std::string> match_ua;  // after alias expansion
};

// The configuration that applies to one (host, matched rule) pair, merged G → H → R (F-GW-06 as amended by
// DECISIONS). Also the unit the -t URL report prints.
struct ResolvedConfig {
    bool rule_matched = false;
    RuleAction rule_action = RuleAction::render;  // as written on the rule; render when no rule matched
    std::string matched_rule_id;                  // "rule_<i>:<pattern>[?...]" (X-Matched-Rule), "" if none
    std::string matched_pattern;

    struct Status {
        int code = 0;
        std::string reason;
        std::vector<std::pair<std::string, std::string>> headers;  // configured order
    } status;

    struct Render {
        Duration timeout{0};
        const CompiledDimension* forced_dimension = nullptr;  // rule render.dimension
        WaitFor wait_for = WaitFor::network_idle;
        Duration additional_wait{0};
        Duration cache_ttl{0};
        std::vector<int> cache_status_codes;
        ExpiredPolicy cache_expired;
        std::vector<std::string> blocked_patterns;
        std::vector<std::string> blocked_resource_types;
        bool strip_scripts = true;
        bool caches(int status_code) const;
    } render;

    struct Bypass {
        Duration timeout{0};
        std::string user_agent;
        bool cache_enabled = false;
        Duration cache_ttl{0};
        std::vector<int> cache_status_codes;
        ExpiredPolicy cache_expired;
        bool caches(int status_code) const;
    } bypass;

    struct Tracking {
        bool enabled = false;                  // strip on and list non-empty
        std::vector<const Pattern*> patterns;  // owned by the Policy
        std::vector<std::string> names;        // the patterns as written
    } tracking;

    struct Sharding {
        bool enabled = false;  // global switch only
        int replication_factor = 2;
        DistributionStrategy strategy = DistributionStrategy::hash_modulo;  // global only
        bool push_on_render = true;
        bool replicate_on_pull = true;
    } sharding;

    struct Bothit {
        bool enabled = false;
        Duration interval{0};
        std::vector<const Pattern*> match_ua;
    } bothit;

    std::vector<std::string> safe_request_headers;
    std::vector<std::string> safe_response_headers;
    Compression compression = Compression::snappy;

    // The action when this config applies and no status/render/bypass rule decided it.
    Action rule_effective_action() const;
};

struct QueryCondition {
    std::string key;
    std::vector<const Pattern*> values;  // OR; "*" = present with a non-empty value
};

struct CompiledRule {
    int index = 0;  // position in the sorted, expanded list (X-Matched-Rule)
    const Pattern* pattern = nullptr;
    std::vector<QueryCondition> query;  // AND
    ResolvedConfig resolved;
};

enum class UnmatchedMode : std::uint8_t { bypass, block, dimension };

struct CompiledHost {
    int id = 0;
    std::vector<std::string> domains;  // first = primary
    std::string render_key;
    bool enabled = false;
    std::string file;  // host file it came from

    std::vector<std::unique_ptr<CompiledDimension>> dimensions;  // includes the bypass dimension (id 0)
    const CompiledDimension* bypass_dimension = nullptr;
    struct UaEntry {
        const Pattern* pattern;
        const CompiledDimension* dimension;
    };
    std::vector<UaEntry> ua_order;  // detection order (F-GW-09)

    UnmatchedMode unmatched_mode = UnmatchedMode::bypass;
    const CompiledDimension* unmatched_dimension = nullptr;  // for UnmatchedMode::dimension

    std::vector<std::unique_ptr<CompiledRule>> rules;  // sorted
    ResolvedConfig default_resolved;                   // no rule matched
    std::vector<std::string> client_ip_headers;        // host list, else global; empty = socket peer

    const std::string& primary_domain() const { return domains.front(); }
    const CompiledDimension* find_dimension(std::string_view name) const;
    const CompiledDimension* find_dimension(int id) const;
    // First dimension whose pattern matches the User-Agent, in detection order; nullptr if none. `fold` is a
    // scratch buffer (reserve it to avoid allocation).
    const CompiledDimension* detect_dimension(std::string_view user_agent, std::string& fold) const;
    const CompiledDimension* detect_dimension(std::string_view user_agent) const;
    // First matching rule for a decoded path and raw query; nullptr if none. The strings are scratch buffers.
    const CompiledRule* match_rule(std::string_view path, std::string_view raw_query, std::string& fold,
                                   std::string& scratch, std::string& value) const;
};

class Policy {
  public:
    Policy() = default;
    Policy(Policy&&) noexcept = default;
    Policy& operator=(Policy&&) noexcept = default;

    // Host by lower-cased hostname (no port); nullptr when unknown.
    const CompiledHost* find_host(std::string_view hostname) const;
    std::span<const std::unique_ptr<CompiledHost>> hosts() const { return _hosts; }
    const CompiledHost* find_host_by_id(int id) const;

    bool ssrf_protection = true;
    std::vector<Cidr> ssrf_allow;

    // Distinguishes this policy from any earlier one at the same address (per-worker caches check it).
    std::uint64_t epoch() const { return _epoch; }

    // Building (policy_compile.cc).
    CompiledHost& add_host(std::unique_ptr<CompiledHost> host);
    const Pattern* own(Pattern p);
    void index_domains();

  private:
    std::vector<std::unique_ptr<CompiledHost>> _hosts;
    std::vector<std::pair<std::string, const CompiledHost*>> _by_domain;  // sorted
    std::vector<std::unique_ptr<Pattern>> _patterns;
    std::uint64_t _epoch = 0;
};

// What the caller knows about the /render request.
struct RequestInput {
    std::string_view target_url;  // the url argument, already extracted (see url_intake.h)
    std::string_view render_key;
    bool has_render_key = false;
    std::string_view user_agent;
};

enum class Verdict : std::uint8_t {
    proceed,            // render or bypass, per Decision::action
    status,             // answer the rule's status (ResolvedConfig::status)
    invalid_url,        // 400 "Invalid URL: <reason>"
    auth_failed,        // 401 "Authentication failed: <reason>"
    dimension_blocked,  // 403 "Forbidden"
    unmatched_blocked,  // 403 "User-Agent not supported for rendering" + X-Unmatched-Dimension: true
    normalize_failed,   // 400 "Failed to normalize URL: <reason>"
};

// Remembers recent (host, User-Agent) → dimension results. Crawler traffic uses a handful of User-Agent
// strings, so most requests skip pattern matching entirely. Two-way set associative, fixed size, owned by one
// worker.
class UaCache {
  public:
    static constexpr std::size_t k_sets = 128;
    static constexpr std::size_t k_max_ua = 320;

    void reserve();
    // True on a hit; *dim is the cached result (nullptr = no dimension matched).
    bool lookup(const Policy& policy, const CompiledHost* host, std::string_view ua, std::uint64_t hash,
                const CompiledDimension** dim) const;
    void store(const Policy& policy, const CompiledHost* host, std::string_view ua, std::uint64_t hash,
               const CompiledDimension* dim);

  private:
    struct Entry {
        std::uint64_t epoch = 0;
        std::uint64_t hash = 0;
        const CompiledHost* host = nullptr;
        const CompiledDimension* dim = nullptr;
        std::uint32_t len = 0;
        char ua[k_max_ua];
    };
    const Entry* find(const Policy& policy, const CompiledHost* host, std::string_view ua,
                      std::uint64_t hash) const;
    std::vector<Entry> _entries;        // k_sets * 2
    std::vector<std::uint8_t> _victim;  // per set: which way to replace next
};

// Caller-owned buffers reused across decisions (one per worker). reserve() once; no allocation afterwards.
struct DecisionScratch {
    UaCache ua_cache;
    NormalizeScratch normalize;
    std::string normalized;
    std::string query_decode;
    std::string query_value;
    std::string fold;  // ASCII-lower-cased copy of the User-Agent / path being matched
    std::string reason;
    char host_lower[256] = {};
    void reserve(std::size_t max_url = 8192);
};

struct Decision {
    Verdict verdict = Verdict::invalid_url;
    std::string_view reason;  // error verdicts: text after "Invalid URL: " etc.
    const CompiledHost* host = nullptr;
    const CompiledDimension* dimension = nullptr;  // dimension used for rendering / cache key
    const CompiledDimension* detected = nullptr;   // what the User-Agent matched (nullptr = unmatched)
    bool unmatched = false;
    Action action = Action::render;
    const CompiledRule* rule = nullptr;
    const ResolvedConfig* config = nullptr;
    std::string_view normalized_url;  // view into DecisionScratch::normalized
    std::uint64_t url_hash = 0;
    char url_hash_hex[16] = {};
};

// Maximum accepted length of the target URL (F-GW-02).
inline constexpr std::size_t k_max_target_url = 2048;

// The whole pre-I/O decision: URL validation (F-GW-02) → host + X-Render-Key (F-GW-04) → dimension
// (F-GW-09/10) → URL rule (F-GW-11) → resolved config → action (F-GW-12) → normalization and hash
// (F-GW-13/14).
void decide(const Policy& policy, const RequestInput& in, DecisionScratch& scratch, Decision& out);

}  // namespace ec::gw
