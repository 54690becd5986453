// The command line of every binary (Go flag conventions) and the start-up configuration report.
#include "runtime/command_line.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <initializer_list>
#include <string>
#include <vector>

namespace ec::rt {
namespace {

struct Parsed {
    bool ok = false;
    CommandLine cl;
    std::string error;
};

Parsed parse(std::initializer_list<const char*> args, bool operand = false) {
    std::vector<std::string> store = {"prog"};
    for (const char* a : args)
        store.emplace_back(a);
    std::vector<char*> argv;
    for (auto& s : store)
        argv.push_back(s.data());
    argv.push_back(nullptr);
    Parsed p;
    p.ok = parse_command_line(static_cast<int>(store.size()), argv.data(), {"default.yaml", operand}, p.cl,
                              p.error);
    return p;
}

TEST(CommandLine, DefaultsAndFlagForms) {
    Parsed p = parse({});
    ASSERT_TRUE(p.ok);
    EXPECT_EQ(p.cl.config, "default.yaml");
    EXPECT_FALSE(p.cl.test);
    EXPECT_FALSE(p.cl.help);
    for (auto args : {std::initializer_list<const char*>{"-c", "a.yaml"},
                      {"--c", "a.yaml"},
                      {"-c=a.yaml"},
                      {"--c=a.yaml"}}) {
        p = parse(args);
        ASSERT_TRUE(p.ok) << p.error;
        EXPECT_EQ(p.cl.config, "a.yaml");
    }
    p = parse({"-t", "-c", "b.yaml"});
    ASSERT_TRUE(p.ok);
    EXPECT_TRUE(p.cl.test);
    EXPECT_EQ(p.cl.config, "b.yaml");
    EXPECT_TRUE(parse({"--help"}).cl.help);
    EXPECT_TRUE(parse({"-h"}).cl.help);
}

TEST(CommandLine, ErrorsNameTheArgument) {
    Parsed p = parse({"-x"});
    EXPECT_FALSE(p.ok);
    EXPECT_EQ(p.error, "flag provided but not defined: -x");
    p = parse({"-c"});
    EXPECT_FALSE(p.ok);
    EXPECT_EQ(p.error, "flag needs an argument: -c");
    p = parse({"stray"});
    EXPECT_FALSE(p.ok);
    EXPECT_EQ(p.error, "unexpected argument: stray");
    p = parse({"-t", "https://a.example/"});  // this binary takes no operand
    EXPECT_FALSE(p.ok);
    EXPECT_EQ(p.error, "unexpected argument: https://a.example/");
}

TEST(CommandLine, OperandOnlyWithTest) {
    Parsed p = parse({"-t", "https://a.example/x"}, /*operand=*/true);
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.cl.operand, "https://a.example/x");
    p = parse({"https://a.example/x"}, true);
    EXPECT_FALSE(p.ok) << "an operand without -t";
    p = parse({"-t", "/a", "/b"}, true);
    EXPECT_FALSE(p.ok);
    EXPECT_EQ(p.error, "unexpected argument: /b");
    p = parse({"-t", "--", "-looks-like-a-flag"}, true);  // "--" ends the flags
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.cl.operand, "-looks-like-a-flag");
}

TEST(CommandLine, ConfigReportListsWarningsAndErrors) {
    Diagnostics d;
    d.warning("x.yaml", 3, "deprecated key");
    d.error("x.yaml", 7, "bad value");
    char* buf = nullptr;
    size_t len = 0;
    std::FILE* f = open_memstream(&buf, &len);
    ASSERT_NE(f, nullptr);
    print_config_report(f, "edge-gateway", "x.yaml", d, /*valid=*/false);
    std::fclose(f);
    std::string out(buf, len);
    std::free(buf);
    EXPECT_EQ(out,
              "warning: x.yaml:3: deprecated key\n"
              "x.yaml:7: bad value\n"
              "edge-gateway: configuration x.yaml is invalid (1 errors)\n");
}

}  // namespace
}  // namespace ec::rt
