// `edge-gateway -t`: output format, our configs/, the original's configs (unchanged), failures.
#include "gateway/config_test_mode.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_support.h"

namespace ec::gw {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// Runs the test mode with the working directory set to `cwd` (relative storage paths land there).
struct Run {
    int exit_code;
    std::string out;
    std::string err;
};

Run run_t(const std::string& config, const fs::path& cwd,
          const std::optional<std::string>& url = std::nullopt) {
    fs::path old = fs::current_path();
    fs::current_path(cwd);
    std::ostringstream out;
    std::ostringstream err;
    int code = run_config_test(config, url, out, err);
    fs::current_path(old);
    return {code, out.str(), err.str()};
}

std::string read_file(const fs::path& p) {
    std::ifstream f(p);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// Configurations that name an absolute storage.base_path (e.g. /var/cache/edgecomet) are copied into a temp
// dir with only that one line rewritten to a relative "cache" directory, so the test neither needs root nor
// leaves directories behind. Everything else is byte-for-byte the original. Returns the config path to test.
std::string prepare(const fs::path& config, const TempDir& tmp) {
    std::string text = read_file(config);
    auto at = text.find("base_path:");
    if (at == std::string::npos) return config.string();
    auto eol = text.find('\n', at);
    std::string value = text.substr(at + 10, eol - at - 10);
    auto first = value.find_first_not_of(" \t\"'");
    if (first == std::string::npos || value[first] != '/') return config.string();
    fs::path copy = tmp.path() / "config";
    fs::copy(config.parent_path(), copy, fs::copy_options::recursive);
    text.replace(at, eol - at, "base_path: \"cache\"");
    std::ofstream(copy / config.filename()) << text;
    return (copy / config.filename()).string();
}

fs::path shared_configs() {
    return fs::path(EC_SHARED_DIR) / "spec" / "original-configs";
}

TEST(ConfigTestMode, OriginalSampleConfigPassesUnchanged) {
    fs::path p = shared_configs() / "sample" / "edge-gateway.yaml";
    if (!fs::exists(p))
        GTEST_SKIP() << "original configs not found at " << p << " (shared/ not beside the repo)";
    TempDir tmp;
    auto r = run_t(p.string(), tmp.path());
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out,
              "configuration file " + p.string() + " syntax is ok\nconfiguration test is successful\n");
    EXPECT_TRUE(fs::is_directory(tmp.path() / "cache"));
}

TEST(ConfigTestMode, OriginalDockerConfigPassesUnchanged) {
    fs::path p = shared_configs() / "docker" / "edge-gateway.yaml";
    if (!fs::exists(p)) GTEST_SKIP() << "original configs not found at " << p;
    TempDir tmp;
    auto r = run_t(p.string(), tmp.path());
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out,
              "configuration file " + p.string() + " syntax is ok\nconfiguration test is successful\n");
}

TEST(ConfigTestMode, OriginalFullConfigPasses) {
    fs::path p = shared_configs() / "full" / "edge-gateway.yaml";
    if (!fs::exists(p)) GTEST_SKIP() << "original configs not found at " << p;
    // The configuration itself loads unchanged (no storage I/O in the library)...
    auto loaded = load_config(p.string());
    ASSERT_TRUE(loaded.config) << testing::all_errors(loaded);
    EXPECT_EQ(loaded.config->policy.hosts().size(), 3u);
    // ...and -t passes; only its absolute storage.base_path is redirected into a temp dir (see prepare()).
    TempDir tmp;
    std::string config = prepare(p, tmp);
    auto r = run_t(config, tmp.path());
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("syntax is ok"), std::string::npos);
    EXPECT_NE(r.out.find("Configuration warnings (2):"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("configuration test is successful"), std::string::npos);
}

TEST(ConfigTestMode, OriginalFullConfigUrlReport) {
    fs::path p = shared_configs() / "full" / "edge-gateway.yaml";
    if (!fs::exists(p)) GTEST_SKIP() << "original configs not found at " << p;
    TempDir tmp;
    auto r = run_t(prepare(p, tmp), tmp.path(), "https://www.example.com/old-url");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("=== Host: example.com (host_id: 1) ===\nURL: https://www.example.com/old-url\n"
                         "Normalized URL: https://www.example.com/old-url\nURL Hash: "),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("Matched Pattern: /old-url\n"), std::string::npos);
    EXPECT_NE(r.out.find("Action: status\nResponse: 301 Moved Permanently\nHeaders:\n  - Location: "
                         "https://example.com/new-url\n"),
              std::string::npos)
        << r.out;
}

TEST(ConfigTestMode, EveryRepositoryConfigPasses) {
    fs::path root = fs::path(EC_SOURCE_ROOT) / "configs";
    int found = 0;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (entry.path().filename() != "edge-gateway.yaml") continue;
        ++found;
        TempDir tmp;
        auto r = run_t(prepare(entry.path(), tmp), tmp.path());
        EXPECT_EQ(r.exit_code, 0) << entry.path() << "\n" << r.out << r.err;
        EXPECT_EQ(r.out.find("Configuration warnings"), std::string::npos) << entry.path() << "\n" << r.out;
    }
    EXPECT_GE(found, 2);
}

TEST(ConfigTestMode, RenderTestOutputFormat) {
    TempDir dir;
    std::string path = dir.write("edge-gateway.yaml", testing::main_yaml());
    dir.write("hosts.d/a.yaml",
              testing::host_yaml("    url_rules:\n      - match: \"/blog/*\"\n        action: render\n"
                                 "        render:\n          cache:\n            ttl: 2h\n"
                                 "      - match: \"*.pdf\"\n        action: bypass\n        bypass:\n"
                                 "          cache:\n            enabled: true\n            ttl: 168h\n"));
    auto r = run_t(path, dir.path(), "https://example.com/blog/post?b=1&a=2");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out.substr(r.out.find("\n=== Host")),
              "\n=== Host: example.com (host_id: 1) ===\n"
              "URL: https://example.com/blog/post?b=1&a=2\n"
              "Normalized URL: https://example.com/blog/post?a=2&b=1\n"
              "URL Hash: " +
                  hash_hex(url_hash("https://example.com/blog/post?a=2&b=1")) +
                  "\n\n"
                  "Matched Pattern: /blog/*\n"
                  "Matched Rule: rule_0:/blog/*\n"
                  "Action: render\n\n"
                  "Cache TTL: 7200s (2h)\n\n"
                  "Rendering:\n"
                  "  - Timeout: 30s\n"
                  "  - Wait Until: networkIdle\n"
                  "  - Additional Wait: 0ms\n"
                  "  - JavaScript: enabled\n");
    r = run_t(path, dir.path(), "/files/a.pdf");
    EXPECT_NE(r.out.find("\nTesting URL: /files/a.pdf\nChecking across 1 hosts...\n"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("Action: bypass\n\nBypass Cache: enabled\nBypass Cache TTL: 604800s (7d)\n"
                         "Cached Status Codes: 200\n"),
              std::string::npos)
        << r.out;
    r = run_t(path, dir.path(), "https://other.com/");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(
        r.out.find("ERROR: Host \"other.com\" not found in configuration\nAvailable hosts:\n  - example.com"),
        std::string::npos);
}

TEST(ConfigTestMode, FailureListsFileLineAndKey) {
    TempDir dir;
    std::string path = dir.write("edge-gateway.yaml", testing::main_yaml("metrics:\n  enabeld: true\n"));
    dir.write("hosts.d/a.yaml", testing::host_yaml("    render_ky: x\n"));
    auto r = run_t(path, dir.path());
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "Configuration validation FAILED:\n- " + path +
                         " line 14: unknown key 'enabeld' (did you mean 'enabled'?)\n- " +
                         (dir.path() / "hosts.d/a.yaml").string() +
                         " line 15: unknown key 'render_ky' (did you mean 'render_key'?)\n");
}

TEST(ConfigTestMode, WarningsAreListed) {
    TempDir dir;
    std::string path = dir.write("edge-gateway.yaml", testing::main_yaml("bypass:\n  timeout: 2s\n"));
    dir.write("hosts.d/a.yaml", testing::host_yaml());
    auto r = run_t(path, dir.path());
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "configuration file " + path + " syntax is ok\n\nConfiguration warnings (1):\n- " +
                         path +
                         " line 14: bypass.timeout (2s) is low. Slow origin servers may timeout. Recommended "
                         "minimum: 5s\n\n"
                         "configuration test is successful\n");
}

TEST(ConfigTestMode, StorageWriteTest) {
    TempDir dir;
    EXPECT_EQ(check_storage_path((dir.path() / "a/b").string()), "");
    EXPECT_TRUE(fs::is_directory(dir.path() / "a/b"));
    dir.write("file", "x");
    EXPECT_NE(check_storage_path((dir.path() / "file").string()).find("exists but is not a directory"),
              std::string::npos);
    EXPECT_EQ(check_storage_path("  "), "storage.base_path is required");
    std::string path = dir.write("edge-gateway.yaml", testing::main_yaml());
    dir.write("hosts.d/a.yaml", testing::host_yaml());
    dir.write("cache", "not a dir");
    auto r = run_t(path, dir.path());
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find(" line 10: storage.base_path: path '"), std::string::npos) << r.out;
}

TEST(ConfigTestMode, MissingFile) {
    TempDir dir;
    auto r = run_t((dir.path() / "nope.yaml").string(), dir.path());
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("config file not found"), std::string::npos);
}

int run_binary(const std::string& args, std::string& output) {
    std::string cmd = std::string(EC_EDGE_GATEWAY_BIN) + " " + args + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return -1;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        output.append(buf, n);
    int status = ::pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(EdgeGatewayBinary, ExitCodes) {
    if (!fs::exists(EC_EDGE_GATEWAY_BIN)) GTEST_SKIP() << "edge-gateway binary not built";
    TempDir dir;
    std::string path = dir.write("edge-gateway.yaml", testing::main_yaml("storage2: {}\n"));
    dir.write("hosts.d/a.yaml", testing::host_yaml());
    std::string out;
    fs::path old = fs::current_path();
    fs::current_path(dir.path());
    EXPECT_EQ(run_binary("-c " + path + " -t", out), 1);
    EXPECT_NE(out.find(" line 13: unknown key 'storage2' (did you mean 'storage'?)"), std::string::npos)
        << out;
    out.clear();
    EXPECT_EQ(run_binary("-c " + path, out), 1);
    EXPECT_NE(out.find(path + ":13: unknown key 'storage2' (did you mean 'storage'?)"), std::string::npos)
        << out;
    dir.write("edge-gateway.yaml", testing::main_yaml());
    out.clear();
    EXPECT_EQ(run_binary("-c=" + path + " -t https://example.com/", out), 0) << out;
    EXPECT_NE(out.find("=== Host: example.com (host_id: 1) ==="), std::string::npos);
    out.clear();
    EXPECT_EQ(run_binary("-c " + path, out), 2);
    EXPECT_NE(out.find("serving is not built yet"), std::string::npos);
    out.clear();
    EXPECT_EQ(run_binary("-h", out), 0);
    EXPECT_NE(out.find("Usage: edge-gateway"), std::string::npos);
    out.clear();
    EXPECT_EQ(run_binary("-x", out), 2);
    fs::current_path(old);
}

}  // namespace
}  // namespace ec::gw
