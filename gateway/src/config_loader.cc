#include <glob.h>

#include <algorithm>
#include <filesystem>

#include "config_parse.h"
#include "config_validate.h"
#include "gateway/config.h"
#include "policy_compile.h"

namespace ec::gw {
namespace {

// hosts.include: relative to the main file's directory; a directory means "<dir>/*.yaml"; otherwise a glob.
std::vector<std::string> resolve_include(const std::string& dir, const std::string& include) {
    std::filesystem::path p(include);
    if (p.is_relative()) p = std::filesystem::path(dir) / p;
    std::string pattern = p.string();
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) pattern = (p / "*.yaml").string();
    std::vector<std::string> files;
    glob_t g{};
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
        for (std::size_t i = 0; i < g.gl_pathc; ++i)
            files.emplace_back(g.gl_pathv[i]);
    }
    ::globfree(&g);
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

LoadResult load_config(const std::string& path, const LoadOptions& options) {
    LoadResult result;
    detail::EnvLookup env = options.env ? detail::EnvLookup(options.env) : detail::EnvLookup(rt::yaml::process_env);
    detail::ReadContext ctx{path, &result.diagnostics, &env};
    if (!detail::parse_global_file(path, result.global, ctx)) return result;

    std::string dir = std::filesystem::path(path).parent_path().string();
    if (dir.empty()) dir = ".";

    std::vector<std::string> files;
    const auto& inc = result.global.hosts.include;
    if (!inc.has() || inc->empty()) {
        if (!inc.invalid) {
            result.diagnostics.error(path, result.global.hosts.line,
                                     "hosts.include is required in configuration");
        }
    } else {
        files = resolve_include(dir, *inc);
        if (files.empty()) {
            result.diagnostics.error(path, inc.line, "no host files found matching pattern '" + *inc + "'");
        }
    }
    for (const auto& f : files) {
        detail::ReadContext hctx{f, &result.diagnostics, &env};
        detail::parse_hosts_file(f, result.hosts, hctx);
    }
    if (!files.empty() && result.hosts.empty() && !result.diagnostics.has_errors()) {
        result.diagnostics.error(path, inc.line, "no hosts loaded from pattern '" + *inc + "'");
    }

    detail::validate_config(result.global, result.hosts, dir, result.diagnostics, env);
    if (result.diagnostics.has_errors()) return result;

    auto cfg = std::make_unique<Config>();
    cfg->path = path;
    cfg->dir = dir;
    cfg->host_files = files;
    if (!detail::compile_config(result.global, result.hosts, *cfg, result.diagnostics)) return result;
    if (result.diagnostics.has_errors()) return result;
    result.config = std::move(cfg);
    return result;
}

}  // namespace ec::gw
