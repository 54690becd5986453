#include "gateway/pattern.h"

#include <gtest/gtest.h>

namespace ec::gw {
namespace {

bool m(std::string_view pattern, std::string_view input) {
    return Pattern::compile(pattern)->matches(input);
}

TEST(Pattern, KindDetection) {
    EXPECT_EQ(detect_pattern_kind("~*abc"), PatternKind::regex);
    EXPECT_EQ(detect_pattern_kind("~a*b"), PatternKind::regex);
    EXPECT_EQ(detect_pattern_kind("/a/*"), PatternKind::wildcard);
    EXPECT_EQ(detect_pattern_kind("/a"), PatternKind::exact);
    EXPECT_GT(pattern_kind_priority(PatternKind::exact), pattern_kind_priority(PatternKind::wildcard));
    EXPECT_GT(pattern_kind_priority(PatternKind::wildcard), pattern_kind_priority(PatternKind::regex));
}

TEST(Pattern, ExactIsCaseInsensitiveWholeString) {
    EXPECT_TRUE(m("/About", "/about"));
    EXPECT_TRUE(m("/about", "/ABOUT"));
    EXPECT_FALSE(m("/about", "/about/"));
    EXPECT_FALSE(m("/about", "/abou"));
}

TEST(Pattern, WildcardSemantics) {
    EXPECT_TRUE(m("*", ""));
    EXPECT_TRUE(m("*", "anything/at/all"));
    EXPECT_TRUE(m("/blog/*", "/blog/"));
    EXPECT_TRUE(m("/blog/*", "/Blog/2024/post"));
    EXPECT_FALSE(m("/blog/*", "/blog"));
    EXPECT_TRUE(m("*.pdf", "/a/b/c.PDF"));
    EXPECT_FALSE(m("*.pdf", "/a.pdf/x"));
    EXPECT_TRUE(m("*Googlebot*", "Mozilla/5.0 (compatible; googlebot/2.1)"));
    EXPECT_TRUE(m("/a/*/c/*", "/a/b/c/d"));
    EXPECT_FALSE(m("/a/*/c/*", "/a/b/d"));
    EXPECT_FALSE(m("a*a", "a"));  // prefix and suffix may not overlap
    EXPECT_TRUE(m("a*a", "aa"));
    EXPECT_TRUE(m("*iPad*Bot*", "Mozilla iPad SomeBot/1"));
}

TEST(Pattern, RegexSearchSemantics) {
    EXPECT_TRUE(m("~/api/v[0-9]+/", "/x/api/v2/y"));  // unanchored
    EXPECT_FALSE(m("~^/api", "/x/api"));
    EXPECT_FALSE(m("~GPTBot", "gptbot"));
    EXPECT_TRUE(m("~*GPTBot", "gptbot"));
    EXPECT_TRUE(m("~*^/category/[a-z-]+$", "/CATEGORY/shoes"));
}

TEST(Pattern, LiteralPrefilterNeverChangesTheResult) {
    // Regexes get a literal prefilter (required prefix or substring); these pin its soundness.
    EXPECT_TRUE(m("~^ga_", "ga_x"));
    EXPECT_FALSE(m("~^ga_", "xga_"));
    EXPECT_TRUE(m("~*^ga_", "GA_y"));
    EXPECT_TRUE(m("~ab?c", "ac"));  // optional last literal is dropped from the prefilter
    EXPECT_TRUE(m("~^ab*c", "ac"));
    EXPECT_TRUE(m("~^ab{0,2}c", "ac"));
    EXPECT_TRUE(m("~^a|b", "b"));  // alternation disables the prefilter
    EXPECT_TRUE(m("~(?i)^abc", "ABC"));
    EXPECT_TRUE(m("~*OAI-SearchBot\\/\\d", "x oai-searchbot/1"));
    EXPECT_FALSE(m("~OAI-SearchBot\\/\\d", "x oai-searchbot/1"));
    EXPECT_TRUE(m("~\\.(gif|png)$", "/a.png"));
    EXPECT_TRUE(m("~^Mozilla\\/5\\.0 \\(X\\)", "Mozilla/5.0 (X) Y"));
    EXPECT_FALSE(m("~^Mozilla\\/5\\.0 \\(X\\)", "Mozilla/5.0 (Y) X"));
    auto p = *Pattern::compile("~*^/Collections/[a-z]+$");
    EXPECT_TRUE(p.matches_folded("/COLLECTIONS/abc", "/collections/abc"));
    EXPECT_FALSE(p.matches_folded("/COLLECTION/abc", "/collection/abc"));
}

TEST(Pattern, CompileErrors) {
    std::string err;
    EXPECT_FALSE(Pattern::compile("", &err));
    EXPECT_EQ(err, "pattern cannot be empty");
    EXPECT_FALSE(Pattern::compile("~", &err));
    EXPECT_EQ(err, "regexp pattern '~' is empty");
    EXPECT_FALSE(Pattern::compile("~*", &err));
    EXPECT_EQ(err, "regexp pattern '~*' is empty");
    EXPECT_FALSE(Pattern::compile("~(unclosed", &err));
    EXPECT_NE(err.find("invalid regexp pattern '~(unclosed'"), std::string::npos);
}

TEST(Pattern, SyntaxCheck) {
    EXPECT_EQ(check_pattern_syntax("*", "URL"), "");
    EXPECT_NE(check_pattern_syntax("/a/**", "URL").find("consecutive wildcards"), std::string::npos);
    EXPECT_NE(check_pattern_syntax("~(", "URL").find("invalid URL case-sensitive regexp"), std::string::npos);
    EXPECT_NE(check_pattern_syntax("~*[", "user-agent").find("invalid user-agent case-insensitive regexp"),
              std::string::npos);
    EXPECT_EQ(check_pattern_syntax("~", "URL"), "URL pattern '~' is empty");
}

}  // namespace
}  // namespace ec::gw
