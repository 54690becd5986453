#include "gateway/url_normalize.h"

#include <gtest/gtest.h>

#include <vector>

#include "gateway/pattern.h"

namespace ec::gw {
namespace {

struct Golden {
    const char* input;
    const char* normalized;
    const char* hash;
    const char* key_hash;
    int mod2;
    int mod3;
};

// edgecomet-internals.md §10 (Go 1.19 net/url + the original normalizer, stripping off; cache key host 1 dim
// 2).
const Golden k_golden[] = {
    {"https://example.com", "https://example.com/", "a40dbfe31cfba1cf", "3d1e9ba76f716897", 1, 1},
    {"HTTPS://Example.Com:443/path//to/../page?z=1&a=2#section", "https://example.com/path/page?a=2&z=1",
     "96ba2d5b7d32d005", "936b0318153e53ac", 0, 1},
    {"example.com/path//file", "https://example.com/path/file", "b8d5c4855f2ab81e", "14f4ae8d20b18345", 1, 1},
    {"https://example.com/?a=2&b=1&a=1", "https://example.com/?a=2&a=1&b=1", "db6c064ad7e4245b",
     "e7f451f7ee74a0ba", 0, 0},
    {"https://example.com/page?q=a b&x=%2f&y=&z", "https://example.com/page?q=a+b&x=%2F&y&z",
     "82c20fb0ef863f77", "3706a01184239230", 0, 2},
    {"https://example.com/a%2fb/c", "https://example.com/a%2fb/c", "0383b3f5034d3ed2", "d37f1d06ae01b63f", 1,
     1},
    {"https://example.com/caf\xC3\xA9?k=\xCE\xB1", "https://example.com/caf%C3%A9?k=%CE%B1",
     "68bc4c5555d600be", "97cd16d67e20d46a", 0, 0},
    {"https://example.com/p?a=1;b=2", "https://example.com/p?a=1;b=2", "f01e21d60881fec3", "3592c954ccf57afa",
     0, 0},
    {"https://example.com/p?", "https://example.com/p?", "9433fa3a78a4b3c4", "3e6b781941523f66", 0, 2},
    {"http://Example.com:80/A/./B/", "http://example.com/A/B/", "94e7b8dd5f788d68", "2f7a707815cb7ad0", 0, 1},
    {"https://example.com/p?b=%7e&a=hello+world", "https://example.com/p?a=hello+world&b=~",
     "ac9a72c6de7a7e84", "8f9b1d544e684884", 0, 2},
};

class GoldenVector : public ::testing::TestWithParam<Golden> {};

TEST_P(GoldenVector, NormalizesAndHashesLikeTheOriginal) {
    const Golden& g = GetParam();
    NormalizeScratch s;
    s.reserve();
    std::string out;
    ASSERT_EQ(normalize_url(g.input, {}, s, out), "") << g.input;
    EXPECT_EQ(out, g.normalized);
    std::uint64_t h = url_hash(out);
    EXPECT_EQ(hash_hex(h), g.hash);
    std::string key = "cache:1:2:" + hash_hex(h);
    std::uint64_t kh = url_hash(key);
    EXPECT_EQ(hash_hex(kh), g.key_hash);
    EXPECT_EQ(static_cast<int>(kh % 2), g.mod2);
    EXPECT_EQ(static_cast<int>(kh % 3), g.mod3);
}

INSTANTIATE_TEST_SUITE_P(InternalsSection10, GoldenVector, ::testing::ValuesIn(k_golden));

TEST(Xxh64, StandardVectors) {
    EXPECT_EQ(hash_hex(url_hash("")), "ef46db3751d8e999");
    EXPECT_EQ(hash_hex(url_hash("abc")), "44bc2cf5ad770999");
}

std::string norm(std::string_view in, const std::vector<std::string>& strip = {}) {
    std::vector<Pattern> owned;
    for (const auto& p : strip)
        owned.push_back(*Pattern::compile(p));
    std::vector<const Pattern*> ptrs;
    for (const auto& p : owned)
        ptrs.push_back(&p);
    NormalizeScratch s;
    std::string out;
    auto err = normalize_url(in, ptrs, s, out);
    if (!err.empty()) return "ERR:" + std::string(err);
    return out;
}

TEST(Normalize, ReferenceExampleWithTracking) {
    EXPECT_EQ(
        norm("HTTPS://Example.Com:443/path//to/../page?z=1&a=2&utm_source=google#section", {"utm_source"}),
        "https://example.com/path/page?a=2&z=1");
}

TEST(Normalize, HostRules) {
    EXPECT_EQ(norm("https://Example.COM./x"), "https://example.com/x");
    EXPECT_EQ(norm("https://example.com:8443/x"), "https://example.com:8443/x");
    EXPECT_EQ(norm("http://example.com:443/x"), "http://example.com:443/x");
    EXPECT_EQ(norm("https://example.com:80/x"), "https://example.com:80/x");
    EXPECT_EQ(norm("http://localhost/x"), "http://localhost/x");
    EXPECT_EQ(norm("http://intranet/x"), "ERR:invalid host");
    EXPECT_EQ(norm("http://[::1]/x"), "ERR:invalid host");  // IPv6 literals have no dot
    EXPECT_EQ(norm("https:///x"), "ERR:missing host");
    EXPECT_EQ(norm("https://user:p%40ss@Example.com/"), "https://user:p%40ss@example.com/");
}

TEST(Normalize, PathRules) {
    EXPECT_EQ(norm("https://example.com/../../a"), "https://example.com/a");
    EXPECT_EQ(norm("https://example.com/a/b/.."), "https://example.com/a");
    EXPECT_EQ(norm("https://example.com/a/b/../"), "https://example.com/a/");
    EXPECT_EQ(norm("https://example.com/a//b%2fc"),
              "https://example.com/a/b/c");  // changed path: raw dropped
    EXPECT_EQ(norm("https://example.com/a b"), "https://example.com/a%20b");
    EXPECT_EQ(norm("https://example.com/a%20b"), "https://example.com/a%20b");
    EXPECT_EQ(norm("https://example.com/%7Euser"), "https://example.com/%7Euser");  // decodes equal: raw kept
    EXPECT_EQ(norm("https://example.com/A/B"), "https://example.com/A/B");
    EXPECT_EQ(norm("https://example.com/a%zz"), "ERR:invalid URL escape in path");
}

TEST(Normalize, QueryRules) {
    EXPECT_EQ(norm("https://example.com/?a=&a"), "https://example.com/?a&a");
    EXPECT_EQ(norm("https://example.com/?b=2&&a=1"), "https://example.com/?a=1&b=2");
    EXPECT_EQ(norm("https://example.com/?a=%zz&b=1"), "https://example.com/?a=%zz&b=1");  // unparsable: raw
    EXPECT_EQ(norm("https://example.com/?q=%20x+y"), "https://example.com/?q=+x+y");
    EXPECT_EQ(norm("https://example.com/?k=a%26b"), "https://example.com/?k=a%26b");
    EXPECT_EQ(norm("https://example.com/p??"), "https://example.com/p?%3F");
    EXPECT_EQ(norm("https://example.com/p#frag?x"), "https://example.com/p");
    EXPECT_EQ(norm("https://example.com/p#%zz"), "ERR:invalid URL escape in fragment");
}

TEST(Normalize, TrackingStripping) {
    EXPECT_EQ(norm("https://example.com/?utm_source=a&b=1", {"utm_source"}), "https://example.com/?b=1");
    EXPECT_EQ(norm("https://example.com/?UTM_Source=a&b=1", {"utm_source"}), "https://example.com/?b=1");
    EXPECT_EQ(norm("https://example.com/?utm_x=1&utm_y=2&k=3", {"utm_*"}), "https://example.com/?k=3");
    EXPECT_EQ(norm("https://example.com/?ga_x=1&GA_y=2", {"~^ga_"}), "https://example.com/?GA_y=2");
    EXPECT_EQ(norm("https://example.com/?ga_x=1&GA_y=2", {"~*^ga_"}), "https://example.com/");
    // Everything stripped: no '?' left; a lone '?' in the input survives (ForceQuery).
    EXPECT_EQ(norm("https://example.com/p?utm_source=1", {"utm_source"}), "https://example.com/p");
    EXPECT_EQ(norm("https://example.com/p?", {"utm_source"}), "https://example.com/p?");
    // Active stripping re-encodes even when nothing matched, and drops unparsable pairs (url.Query()).
    EXPECT_EQ(norm("https://example.com/?a=1;b=2&c=3", {"utm_source"}), "https://example.com/?c=3");
    EXPECT_EQ(norm("https://example.com/?b=%zz&a=1", {"utm_source"}), "https://example.com/?a=1");
}

TEST(Normalize, StrippedNamesAreRecorded) {
    auto p = *Pattern::compile("utm_*");
    const Pattern* ptrs[] = {&p};
    NormalizeScratch s;
    std::string out;
    ASSERT_EQ(normalize_url("https://example.com/?utm_a=1&utm_a=2&utm_b=3", ptrs, s, out), "");
    ASSERT_EQ(s.stripped.size(), 2u);
    EXPECT_EQ(s.stripped[0], "utm_a");
    EXPECT_EQ(s.stripped[1], "utm_b");
}

TEST(Normalize, ControlCharactersRejected) {
    EXPECT_EQ(norm("https://example.com/a\nb"), "ERR:net/url: invalid control character in URL");
}

}  // namespace
}  // namespace ec::gw
