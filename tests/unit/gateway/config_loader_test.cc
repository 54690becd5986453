// Strict parsing: unknown keys, types, duplicates, includes, ${ENV}, aliases of keys, effective defaults.
#include <gtest/gtest.h>

#include "test_support.h"

namespace ec::gw {
namespace {

using testing::host_yaml;
using testing::main_yaml;
using testing::TempDir;

TEST(Loader, UnknownKeyWithSuggestionNamesFileAndLine) {
    TempDir dir;
    auto r = testing::load_strings(dir, main_yaml("metrics:\n  enabled: false\n  listn: \":10079\"\n"),
                                   host_yaml());
    const Diagnostic* d = testing::find_error(r, "unknown key 'listn'");
    ASSERT_NE(d, nullptr) << testing::all_errors(r);
    EXPECT_EQ(d->message, "unknown key 'listn' (did you mean 'listen'?)");
    EXPECT_EQ(d->line, 15);
    EXPECT_EQ(format_diagnostic(*d), (dir.path() / "edge-gateway.yaml").string() +
                                         ":15: unknown key 'listn' (did you mean 'listen'?)");
    EXPECT_FALSE(r.config);
}

TEST(Loader, UnknownKeyWithoutCloseMatch) {
    TempDir dir;
    auto r = testing::load_strings(dir, main_yaml("url_normalization:\n  lowercase: true\n"), host_yaml());
    const Diagnostic* d = testing::find_error(r, "unknown key 'url_normalization'");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->message, "unknown key 'url_normalization'");
}

TEST(Loader, DocOnlyKeysAreRejected) {
    // A-01: keys the docs mention but the code never had.
    TempDir dir;
    auto r = testing::load_strings(dir, main_yaml("render:\n  block_resources: [Image]\n"), host_yaml());
    EXPECT_TRUE(testing::has_error(r, "unknown key 'block_resources'"));
    TempDir dir2;
    std::string m = main_yaml();
    m.replace(m.find("  listen: \":10070\"\n"), 19, "  port: 10070\n");
    auto r2 = testing::load_strings(dir2, m, host_yaml());
    EXPECT_TRUE(testing::has_error(r2, "unknown key 'port'"));
    EXPECT_TRUE(testing::has_error(r2, "server.listen is required"));
}

TEST(Loader, UnknownKeyInHostFileAndRule) {
    TempDir dir;
    auto r = testing::load_strings(
        dir, main_yaml(),
        host_yaml("    url_rules:\n      - match: /a\n        action: render\n        ttl: 5m\n"
                  "    render_keys: x\n"));
    const Diagnostic* d = testing::find_error(r, "unknown key 'ttl'");
    ASSERT_NE(d, nullptr) << testing::all_errors(r);
    EXPECT_EQ(d->line, 18);
    EXPECT_NE(d->file.find("01-host.yaml"), std::string::npos);
    const Diagnostic* d2 = testing::find_error(r, "unknown key 'render_keys'");
    ASSERT_NE(d2, nullptr);
    EXPECT_EQ(d2->message, "unknown key 'render_keys' (did you mean 'render_key'?)");
}

TEST(Loader, KeysAllowedOnlyAtSomeLevels) {
    TempDir dir;
    // render.dimension is a rule-level key; ssrf_protection is global only.
    auto r = testing::load_strings(dir, main_yaml("render:\n  dimension: desktop\n"),
                                   host_yaml("    bypass:\n      ssrf_protection: false\n"));
    EXPECT_TRUE(testing::has_error(r, "unknown key 'dimension'"));
    EXPECT_TRUE(testing::has_error(r, "unknown key 'ssrf_protection'"));
    TempDir dir2;
    auto r2 = testing::load_strings(dir2, main_yaml(),
                                    host_yaml("    client_ip:\n      headers: [X-Real-IP]\n"
                                              "    url_rules:\n      - match: /a\n        action: render\n"
                                              "        client_ip:\n          headers: [X]\n"));
    EXPECT_TRUE(testing::has_error(r2, "unknown key 'client_ip'"));
}

TEST(Loader, TypeErrors) {
    TempDir dir;
    auto r = testing::load_strings(
        dir, main_yaml("metrics:\n  enabled: maybe\n"),
        "hosts:\n  - id: \"1\"\n    domain: a.com\n    render_key: k\n    render:\n"
        "      timeout: 30\n    dimensions:\n      d:\n        id: 1\n        width: wide\n"
        "        height: 1\n        match_ua: \"*bot*\"\n");
    EXPECT_TRUE(testing::has_error(r, "'metrics.enabled' must be true or false (got 'maybe')"))
        << testing::all_errors(r);
    EXPECT_TRUE(testing::has_error(r, "'hosts[0].id' must be an integer (got '1')"));
    EXPECT_TRUE(testing::has_error(r, "'hosts[0].render.timeout': invalid duration \"30\""));
    EXPECT_TRUE(testing::has_error(r, "'hosts[0].dimensions.d.width' must be an integer (got 'wide')"));
    EXPECT_TRUE(
        testing::has_error(r, "'hosts[0].dimensions.d.match_ua' must be a list of strings (got '*bot*')"));
    // The invalid id is not reported a second time as "must be positive".
    EXPECT_FALSE(testing::has_error(r, "id must be positive"));
}

TEST(Loader, DuplicateKeys) {
    TempDir dir;
    auto r = testing::load_strings(dir, main_yaml("redis:\n  addr: \"x:1\"\n"), host_yaml());
    EXPECT_TRUE(testing::has_error(r, "key 'redis' already defined at line 4")) << testing::all_errors(r);
}

TEST(Loader, YamlSyntaxError) {
    TempDir dir;
    auto r = testing::load_strings(dir, main_yaml("bad: [unclosed\n"), host_yaml());
    ASSERT_FALSE(r.diagnostics.errors().empty());
    EXPECT_NE(r.diagnostics.errors()[0].message.find("YAML syntax error"), std::string::npos);
    EXPECT_GT(r.diagnostics.errors()[0].line, 0);
}

TEST(Loader, IncludeForms) {
    TempDir dir;
    std::string m = main_yaml();
    std::string path = dir.write("edge-gateway.yaml", m.replace(m.find("hosts.d/"), 8, "sites/*.yml"));
    dir.write("sites/b.yml",
              "hosts:\n  - id: 2\n    domain: b.com\n    render_key: k2\n    enabled: true\n"
              "    dimensions:\n      d:\n        id: 1\n        width: 1\n        height: 1\n");
    dir.write("sites/a.yml", host_yaml());
    dir.write("sites/ignored.yaml", "not: [valid");
    auto r = load_config(path);
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    ASSERT_EQ(r.config->host_files.size(), 2u);
    EXPECT_NE(r.config->host_files[0].find("a.yml"), std::string::npos);  // sorted
    EXPECT_EQ(r.config->policy.hosts().size(), 2u);
}

TEST(Loader, DirectoryIncludeTakesOnlyYaml) {
    TempDir dir;
    std::string path = dir.write("edge-gateway.yaml", main_yaml());
    dir.write("hosts.d/01.yaml", host_yaml());
    dir.write("hosts.d/02.yml", "garbage: [");
    auto r = load_config(path);
    EXPECT_TRUE(r.config) << testing::all_errors(r);
}

TEST(Loader, IncludeErrors) {
    TempDir dir;
    std::string m = main_yaml();
    std::string no_include = m.substr(0, m.find("hosts:\n"));
    auto r = testing::load_strings(dir, no_include, host_yaml());
    EXPECT_TRUE(testing::has_error(r, "hosts.include is required in configuration"));
    TempDir dir2;
    std::string path = dir2.write("edge-gateway.yaml", main_yaml());
    auto r2 = load_config(path);
    EXPECT_TRUE(testing::has_error(r2, "no host files found matching pattern 'hosts.d/'"));
    auto r3 = load_config((dir2.path() / "missing.yaml").string());
    EXPECT_TRUE(testing::has_error(r3, "cannot read file"));
}

TEST(Loader, EnvironmentSubstitutionForSecrets) {
    TempDir dir;
    LoadOptions opts;
    opts.env = [](const std::string& n, std::string& v) {
        if (n == "EC_RENDER_KEY")
            v = "from-env";
        else if (n == "EC_AUTH")
            v = "internal-secret-0123456789";
        else if (n == "EC_REDIS_PW")
            v = "pw";
        else
            return false;
        return true;
    };
    std::string m = main_yaml();
    m.replace(m.find("\"0123456789abcdef0123\""), 22, "\"${EC_AUTH}\"");
    m.replace(m.find("  addr: \"localhost:6379\"\n"), 25,
              "  addr: \"localhost:6379\"\n  password: \"${EC_REDIS_PW}\"\n");
    std::string h = host_yaml();
    h.replace(h.find("\"key1\""), 6, "\"k-${EC_RENDER_KEY}\"");
    auto r = testing::load_strings(dir, m, h, opts);
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    EXPECT_EQ(r.config->internal.auth_key, "internal-secret-0123456789");
    EXPECT_EQ(r.config->redis.password, "pw");
    EXPECT_EQ(r.config->policy.hosts()[0]->render_key, "k-from-env");
}

TEST(Loader, MissingEnvironmentVariableIsAnError) {
    TempDir dir;
    LoadOptions opts;
    opts.env = [](const std::string&, std::string&) { return false; };
    std::string h = host_yaml();
    h.replace(h.find("\"key1\""), 6, "\"${EC_MISSING_KEY}\"");
    auto r = testing::load_strings(dir, main_yaml(), h, opts);
    const Diagnostic* d = testing::find_error(r, "environment variable 'EC_MISSING_KEY'");
    ASSERT_NE(d, nullptr) << testing::all_errors(r);
    EXPECT_EQ(d->message,
              "environment variable 'EC_MISSING_KEY' referenced by 'hosts[0].render_key' is not set");
    EXPECT_EQ(d->line, 4);
    // Not substituted elsewhere: a user agent may legitimately contain "${".
    EXPECT_FALSE(testing::has_error(r, "render_key is required"));
}

TEST(Loader, SafeHeadersAlias) {
    TempDir dir;
    auto r = testing::load_strings(dir, main_yaml("safe_headers: [Content-Type, X-Custom]\n"), host_yaml());
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    const auto& rc = r.config->policy.hosts()[0]->default_resolved;
    EXPECT_EQ(rc.safe_response_headers, (std::vector<std::string>{"Content-Type", "X-Custom"}));
    TempDir dir2;
    auto r2 = testing::load_strings(dir2, main_yaml("safe_headers: [A]\nheaders:\n  safe_response: [B]\n"),
                                    host_yaml());
    EXPECT_TRUE(
        testing::has_error(r2, "'safe_headers' is an alias of headers.safe_response; set only one of them"));
}

TEST(Loader, DomainForms) {
    TempDir dir;
    std::string h = host_yaml();
    h.replace(h.find("\"example.com\""), 13, "[\" a.com. \", \"www.a.com\"]");
    auto r = testing::load_strings(dir, main_yaml(), h);
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    EXPECT_EQ(r.config->policy.hosts()[0]->domains, (std::vector<std::string>{"a.com", "www.a.com"}));
    EXPECT_NE(r.config->policy.find_host("www.a.com"), nullptr);
}

TEST(Loader, EffectiveDefaults) {
    TempDir dir;
    auto r = testing::load_strings(dir, main_yaml(), host_yaml());
    ASSERT_TRUE(r.config);
    const Config& c = *r.config;
    EXPECT_EQ(c.metrics.path, "/metrics");  // A-29
    EXPECT_EQ(c.storage.compression, Compression::snappy);
    EXPECT_EQ(c.selection_strategy, SelectionStrategy::least_loaded);
    EXPECT_TRUE(c.log.console.enabled);
    EXPECT_EQ(c.log.console.format, "console");
    EXPECT_EQ(c.log.file.format, "text");
    EXPECT_TRUE(c.internal.enabled);
    EXPECT_EQ(c.internal.listen.port, 10071);
    EXPECT_TRUE(c.policy.ssrf_protection);
    EXPECT_FALSE(c.sharding.enabled);
    EXPECT_EQ(c.sharding.replication_factor, 2);
    EXPECT_EQ(c.server.timeout, std::chrono::seconds(120));
}

TEST(Loader, MinimalGettingStartedConfigStarts) {
    // DECISIONS A-05: the getting-started config, with enabled: true and a numeric id, must start
    // (no internal block: the internal server is simply off, with a warning).
    TempDir dir;
    std::string path = dir.write(
        "edge-gateway.yaml",
        "server:\n  listen: \":10070\"\n  timeout: 120s\nredis:\n  addr: \"localhost:6379\"\n"
        "storage:\n  base_path: \"./cache\"\nrender:\n  cache:\n    ttl: 1h\n"
        "bypass:\n  timeout: 30s\n  user_agent: \"EdgeComet/1.0\"\nhosts:\n  include: \"hosts.d/\"\n");
    dir.write("hosts.d/example.yaml",
              "hosts:\n  - id: 1\n    domain: \"example.com\"\n    render_key: \"your-secret-key\"\n    "
              "enabled: true\n"
              "    render:\n      timeout: 30s\n    dimensions:\n      desktop:\n        id: 1\n        "
              "width: 1920\n"
              "        height: 1080\n        render_ua: \"Mozilla/5.0 (compatible; EdgeComet/1.0)\"\n"
              "        match_ua:\n          - \"*Googlebot*\"\n");
    auto r = load_config(path);
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    EXPECT_FALSE(r.config->internal.enabled);
    EXPECT_TRUE(testing::has_warning(r, "the internal server is off"));
}

}  // namespace
}  // namespace ec::gw
