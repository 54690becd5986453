#include "gateway/config_test_mode.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include "gateway/ascii.h"
#include "gateway/status_text.h"
#include "gateway/url_normalize.h"

namespace ec::gw {
namespace {

// The original's formatDuration: "%dms" under a second, else whole seconds.
std::string seconds_text(Duration d) {
    using namespace std::chrono;
    if (d < 1s) return std::to_string(duration_cast<milliseconds>(d).count()) + "ms";
    double s = duration<double>(d).count();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0fs", s);
    return buf;
}

// The original's formatHumanDuration.
std::string human_text(Duration d) {
    using namespace std::chrono;
    if (d < 1min) return std::to_string(duration_cast<seconds>(d).count()) + "s";
    if (d < 1h) return std::to_string(duration_cast<minutes>(d).count()) + "m";
    if (d < 24h) return std::to_string(duration_cast<hours>(d).count()) + "h";
    return std::to_string(duration_cast<hours>(d).count() / 24) + "d";
}

void print_host_report(const CompiledHost& host, const std::string& url, std::ostream& out) {
    NormalizeScratch scratch;
    std::string normalized;
    std::uint64_t hash = 0;
    bool ok = normalize_url(url, {}, scratch, normalized).empty();
    if (ok) {
        hash = url_hash(normalized);
    } else {
        normalized = url;
    }
    // Rules are matched against the normalized URL here, as the original's test mode does.
    gourl::UrlBuffers bufs;
    gourl::Url parsed;
    const CompiledRule* rule = nullptr;
    if (gourl::parse(normalized, bufs, parsed).empty()) {
        std::string fold;
        std::string a;
        std::string b;
        rule = host.match_rule(parsed.path, parsed.raw_query, fold, a, b);
    }
    const ResolvedConfig& rc = rule ? rule->resolved : host.default_resolved;

    out << "\n=== Host: " << host.primary_domain() << " (host_id: " << host.id << ") ===\n";
    out << "URL: " << url << "\n";
    out << "Normalized URL: " << normalized << "\n";
    out << "URL Hash: " << hash_hex(hash) << "\n\n";
    if (rule) {
        out << "Matched Pattern: " << rule->pattern->text() << "\n";
        out << "Matched Rule: " << rc.matched_rule_id << "\n";
    } else {
        out << "Matched Pattern: (default)\n";
    }
    out << "Action: " << to_string(rc.rule_action) << "\n";
    switch (rc.rule_effective_action()) {
        case Action::render:
            out << "\nCache TTL: " << seconds_text(rc.render.cache_ttl) << " ("
                << human_text(rc.render.cache_ttl) << ")\n\n";
            out << "Rendering:\n";
            out << "  - Timeout: " << seconds_text(rc.render.timeout) << "\n";
            out << "  - Wait Until: " << to_string(rc.render.wait_for) << "\n";
            out << "  - Additional Wait: " << seconds_text(rc.render.additional_wait) << "\n";
            out << "  - JavaScript: enabled\n";
            break;
        case Action::bypass:
            if (rc.bypass.cache_enabled) {
                out << "\nBypass Cache: enabled\n";
                out << "Bypass Cache TTL: " << seconds_text(rc.bypass.cache_ttl) << " ("
                    << human_text(rc.bypass.cache_ttl) << ")\n";
                if (!rc.bypass.cache_status_codes.empty()) {
                    out << "Cached Status Codes: ";
                    for (std::size_t i = 0; i < rc.bypass.cache_status_codes.size(); ++i) {
                        out << (i ? ", " : "") << rc.bypass.cache_status_codes[i];
                    }
                    out << "\n";
                }
            }
            break;
        case Action::status:
            out << "Response: " << rc.status.code << " " << status_text(rc.status.code) << "\n";
            if (!rc.status.headers.empty()) {
                out << "Headers:\n";
                for (const auto& [k, v] : rc.status.headers)
                    out << "  - " << k << ": " << v << "\n";
            }
            break;
    }
}

}  // namespace

std::string check_storage_path(const std::string& base_path) {
    namespace fs = std::filesystem;
    std::string trimmed = base_path;
    while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\t'))
        trimmed.pop_back();
    while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\t'))
        trimmed.erase(0, 1);
    if (trimmed.empty()) return "storage.base_path is required";
    std::error_code ec;
    fs::path abs = fs::absolute(trimmed, ec).lexically_normal();
    if (ec) return "storage.base_path: invalid path '" + trimmed + "': " + ec.message();
    std::string shown = abs.string();
    if (shown.size() > 1 && shown.back() == '/') shown.pop_back();
    auto st = fs::status(abs, ec);
    if (ec || !fs::exists(st)) {
        if (!fs::create_directories(abs, ec) && ec) {
            return "storage.base_path: failed to create directory '" + shown + "': " + ec.message();
        }
    } else if (!fs::is_directory(st)) {
        return "storage.base_path: path '" + shown + "' exists but is not a directory";
    }
    auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    fs::path probe = abs / (".edgecomet-write-test-" + std::to_string(stamp));
    static constexpr std::string_view k_data = "edgecomet write test";
    {
        std::ofstream f(probe, std::ios::binary);
        f << k_data;
        if (!f) {
            fs::remove(probe, ec);
            return "storage.base_path: directory '" + shown + "' is not writable";
        }
    }
    std::ifstream in(probe, std::ios::binary);
    std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    fs::remove(probe, ec);
    if (back != k_data)
        return "storage.base_path: filesystem verification failed for '" + shown + "': data mismatch";
    return {};
}

int print_url_report(const Config& cfg, const std::string& url, std::ostream& out) {
    gourl::UrlBuffers bufs;
    gourl::Url parsed;
    bool absolute = gourl::parse(url, bufs, parsed).empty() && !parsed.scheme.empty() && !parsed.host.empty();
    if (absolute) {
        std::string domain = to_lower_copy(parsed.host);
        if (domain.ends_with(".")) domain.pop_back();
        if (auto colon = domain.find(':'); colon != std::string::npos) domain.resize(colon);
        const CompiledHost* host = cfg.policy.find_host(domain);
        if (!host) {
            out << "\nERROR: Host \"" << parsed.host << "\" not found in configuration\nAvailable hosts:";
            for (const auto& h : cfg.policy.hosts())
                out << "\n  - " << h->primary_domain();
            out << "\n";
            return 1;
        }
        out << "\n";
        print_host_report(*host, url, out);
        return 0;
    }
    out << "\nTesting URL: " << url << "\n";
    out << "Checking across " << cfg.policy.hosts().size() << " hosts...\n";
    for (const auto& h : cfg.policy.hosts())
        print_host_report(*h, "https://" + h->primary_domain() + url, out);
    return 0;
}

int run_config_test(const std::string& config_path, const std::optional<std::string>& url, std::ostream& out,
                    std::ostream& err, const LoadOptions& options) {
    std::error_code ec;
    if (!std::filesystem::exists(config_path, ec)) {
        err << "Validation error: failed to load config: config file not found: " << config_path << "\n";
        return 1;
    }
    LoadResult r = load_config(config_path, options);
    std::vector<Diagnostic> errors = r.diagnostics.errors();
    if (r.global.storage.base_path.has()) {
        std::string why = check_storage_path(*r.global.storage.base_path);
        if (!why.empty()) errors.push_back({config_path, r.global.storage.base_path.line, why});
    }
    if (!errors.empty()) {
        out << "Configuration validation FAILED:\n";
        for (const auto& e : errors)
            out << "- " << format_diagnostic_for_listing(e) << "\n";
        return 1;
    }
    out << "configuration file " << config_path << " syntax is ok\n";
    const auto& warnings = r.diagnostics.warnings();
    if (!warnings.empty()) {
        out << "\nConfiguration warnings (" << warnings.size() << "):\n";
        for (const auto& w : warnings)
            out << "- " << format_diagnostic_for_listing(w) << "\n";
        out << "\n";
    }
    out << "configuration test is successful\n";
    if (url && !url->empty()) return print_url_report(*r.config, *url, out);
    return 0;
}

}  // namespace ec::gw
