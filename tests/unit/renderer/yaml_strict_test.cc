// runtime/yaml_strict.h: what the render service relies on beyond the gateway's own tests — unknown keys
// with suggestions, duplicate keys, syntax errors with their line, ${ENV}.
#include "runtime/yaml_strict.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace ec::rt::yaml {
namespace {

struct TempYaml {
    std::string path;
    explicit TempYaml(const std::string& text) {
        char tmpl[] = "/tmp/ec_yaml_testXXXXXX";
        int fd = ::mkstemp(tmpl);
        ::close(fd);
        path = tmpl;
        std::ofstream(path) << text;
    }
    ~TempYaml() { std::remove(path.c_str()); }
};

TEST(YamlStrict, DidYouMean) {
    std::vector<std::string> keys = {"listen", "advertise", "id"};
    EXPECT_EQ(did_you_mean("lsten", keys), "listen");
    EXPECT_EQ(did_you_mean("advertize", keys), "advertise");
    EXPECT_EQ(did_you_mean("completely_else", keys), "");
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(YamlStrict, UnknownAndDuplicateKeysWithLines) {
    TempYaml f("server:\n  id: a\n  lisen: \":1\"\n  id: b\n");
    Diagnostics d;
    EnvLookup env;
    ReadContext ctx{f.path, &d, &env};
    YAML::Node root;
    ASSERT_TRUE(load_file(f.path, root, ctx));
    MapReader top(root, "", ctx);
    YAML::Node n;
    int line = 0;
    ASSERT_TRUE(top.section("server", n, line));
    EXPECT_EQ(line, 1);
    MapReader s(n, "server", ctx);
    Setting<std::string> id, listen;
    s.str("id", id);
    s.str("listen", listen);
    s.finish();
    top.finish();
    ASSERT_EQ(d.errors().size(), 2u);
    EXPECT_EQ(format_diagnostic(d.errors()[0]), f.path + ":4: key 'id' already defined at line 2");
    EXPECT_EQ(format_diagnostic(d.errors()[1]), f.path + ":3: unknown key 'lisen' (did you mean 'listen'?)");
    EXPECT_EQ(*id, "a");
    EXPECT_EQ(id.line, 2);
    EXPECT_FALSE(listen.has());
}

TEST(YamlStrict, SyntaxErrorNamesTheLine) {
    TempYaml f("a: 1\nb: [unclosed\nc: 3\n");
    Diagnostics d;
    ReadContext ctx{f.path, &d, nullptr};
    YAML::Node root;
    EXPECT_FALSE(load_file(f.path, root, ctx));
    ASSERT_EQ(d.errors().size(), 1u);
    EXPECT_GT(d.errors()[0].line, 1);
    EXPECT_NE(d.errors()[0].message.find("YAML syntax error"), std::string::npos);
    Diagnostics d2;
    ReadContext ctx2{"/nonexistent.yaml", &d2, nullptr};
    EXPECT_FALSE(load_file("/nonexistent.yaml", root, ctx2));
    EXPECT_EQ(format_diagnostic(d2.errors()[0]), "/nonexistent.yaml: cannot read file");
}

TEST(YamlStrict, TypesAndEnvironment) {
    TempYaml f("n: 0x10\nb: yes\nd: 1.5d\nbad: [1]\npw: \"x${SECRET}y\"\nmissing: \"${NOPE}\"\n");
    Diagnostics d;
    EnvLookup env = [](const std::string& name, std::string& v) {
        if (name != "SECRET") return false;
        v = "s3";
        return true;
    };
    ReadContext ctx{f.path, &d, &env};
    YAML::Node root;
    ASSERT_TRUE(load_file(f.path, root, ctx));
    MapReader r(root, "", ctx);
    Setting<std::int64_t> n;
    Setting<bool> b;
    Setting<Duration> dur;
    Setting<std::int64_t> bad;
    Setting<std::string> pw, missing;
    r.integer("n", n);
    r.boolean("b", b);
    r.duration("d", dur);
    r.integer("bad", bad);
    r.str("pw", pw, true);
    r.str("missing", missing, true);
    r.finish();
    EXPECT_EQ(*n, 16);
    EXPECT_TRUE(*b);
    EXPECT_EQ(*dur, std::chrono::hours(36));
    EXPECT_TRUE(bad.invalid);
    EXPECT_EQ(*pw, "xs3y");
    EXPECT_TRUE(missing.invalid);
    ASSERT_EQ(d.errors().size(), 2u);
    EXPECT_EQ(d.errors()[0].message, "'bad' must be an integer");
    EXPECT_EQ(d.errors()[1].message, "environment variable 'NOPE' referenced by 'missing' is not set");
    EXPECT_EQ(d.errors()[1].line, 6);
}

}  // namespace
}  // namespace ec::rt::yaml
