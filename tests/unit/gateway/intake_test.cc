// Request intake helpers: request IDs, client IP, the url argument, IP ranges, listen addresses.
#include <gtest/gtest.h>

#include <array>
#include <map>

#include "gateway/client_ip.h"
#include "gateway/ip_address.h"
#include "gateway/listen_address.h"
#include "gateway/request_id.h"
#include "gateway/url_intake.h"

namespace ec::gw {
namespace {

std::string sanitize(std::string_view in) {
    char buf[30];
    return std::string(buf, sanitize_request_id(in, buf));
}

TEST(RequestId, Sanitises) {
    EXPECT_EQ(sanitize("abc 123"), "abc-123");
    EXPECT_EQ(sanitize("--a!!b--c--"), "ab-c");
    EXPECT_EQ(sanitize("a - - b"), "a-b");
    EXPECT_EQ(sanitize("<script>"), "script");
    EXPECT_EQ(sanitize("!!!"), "");
    EXPECT_EQ(sanitize(std::string(50, 'x')), std::string(30, 'x'));
}

TEST(RequestId, PrefixedOrUuid) {
    char out[k_max_request_id];
    std::size_t n = make_request_id("trace 42", 0xabcde, 0, out);
    EXPECT_EQ(std::string(out, n), "edcba-trace-42");
    n = make_request_id(std::string(40, 'z'), 0, 0, out);
    EXPECT_EQ(n, 36u);
    n = make_request_id("", 0x0123456789abcdefULL, 0xfedcba9876543210ULL, out);
    std::string id(out, n);
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[8], '-');
    EXPECT_EQ(id[13], '-');
    EXPECT_EQ(id[14], '4');                                                         // version
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');  // variant
    n = make_request_id("%%%", 1, 2, out);
    EXPECT_EQ(n, 36u);
}

TEST(ClientIp, FirstNonEmptyHeaderWins) {
    std::map<std::string, std::string> req = {{"X-Real-IP", ""},
                                              {"X-Forwarded-For", " 203.0.113.7 , 10.0.0.1"},
                                              {"CF-Connecting-IP", "[2001:db8::1]"}};
    auto lookup = [&](std::string_view name) -> std::string_view {
        auto it = req.find(std::string(name));
        return it == req.end() ? std::string_view() : std::string_view(it->second);
    };
    std::array<std::string, 2> h1 = {"X-Real-IP", "X-Forwarded-For"};
    EXPECT_EQ(extract_client_ip(h1, lookup, "192.0.2.1"), "203.0.113.7");
    std::array<std::string, 1> h2 = {"CF-Connecting-IP"};
    EXPECT_EQ(extract_client_ip(h2, lookup, "192.0.2.1"), "2001:db8::1");
    std::array<std::string, 1> h3 = {"X-Missing"};
    EXPECT_EQ(extract_client_ip(h3, lookup, "192.0.2.1"), "192.0.2.1");
    EXPECT_EQ(clean_client_ip("fe80::1%eth0"), "fe80::1");
}

std::string target(std::string_view q) {
    std::string out;
    if (!extract_target_url(q, out)) return "<none>";
    return out;
}

TEST(UrlIntake, EncodedUrlIsFormDecoded) {
    EXPECT_EQ(target("url=https%3A%2F%2Fexample.com%2Fp%3Fa%3D1%26b%3D2"), "https://example.com/p?a=1&b=2");
    EXPECT_EQ(target("url=https%3A%2F%2Fexample.com%2Fa+b"), "https://example.com/a b");
    EXPECT_EQ(target("x=1&url=https%3A%2F%2Fexample.com%2F"), "https://example.com/");
    EXPECT_EQ(target("nourl=1"), "<none>");
    EXPECT_EQ(target("url=%zz"), "%zz");
}

TEST(UrlIntake, UnencodedUrlKeepsItsQuery) {
    // DECISIONS A-37: nginx `url=$scheme://$host$request_uri`, HAProxy `%[query]`.
    EXPECT_EQ(target("url=https://example.com/p?a=1&b=2&c=3"), "https://example.com/p?a=1&b=2&c=3");
    EXPECT_EQ(target("url=https://example.com/p?a=1"), "https://example.com/p?a=1");
    EXPECT_EQ(target("url=https://example.com/p%20x?a=1&b=%2F"), "https://example.com/p%20x?a=1&b=%2F");
    // Only gateway arguments follow: not a split URL.
    EXPECT_EQ(target("url=https://example.com/p&url=https://other.com/"), "https://example.com/p");
}

TEST(IpAddress, ParseAndRanges) {
    auto priv = [](std::string_view s) { return is_private_or_reserved(*parse_ip(s)); };
    EXPECT_TRUE(priv("127.0.0.1"));
    EXPECT_TRUE(priv("10.1.2.3"));
    EXPECT_TRUE(priv("172.31.255.255"));
    EXPECT_FALSE(priv("172.32.0.1"));
    EXPECT_TRUE(priv("192.168.0.1"));
    EXPECT_TRUE(priv("169.254.169.254"));
    EXPECT_TRUE(priv("100.64.0.1"));
    EXPECT_TRUE(priv("0.1.2.3"));
    EXPECT_TRUE(priv("239.1.1.1"));
    EXPECT_TRUE(priv("::1"));
    EXPECT_TRUE(priv("fe80::1"));
    EXPECT_TRUE(priv("fd00::1"));
    EXPECT_TRUE(priv("ff02::1"));
    EXPECT_TRUE(priv("::ffff:127.0.0.1"));
    EXPECT_FALSE(priv("8.8.8.8"));
    EXPECT_FALSE(priv("2001:4860::8888"));
    EXPECT_FALSE(parse_ip("example.com"));
    EXPECT_FALSE(parse_ip("1.2.3"));
}

TEST(IpAddress, Cidr) {
    auto c = parse_cidr("10.20.0.0/16");
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->contains(*parse_ip("10.20.5.6")));
    EXPECT_FALSE(c->contains(*parse_ip("10.21.5.6")));
    EXPECT_FALSE(c->contains(*parse_ip("::1")));
    auto one = parse_cidr("192.168.1.10");
    ASSERT_TRUE(one);
    EXPECT_EQ(one->prefix, 32);
    std::string err;
    EXPECT_FALSE(parse_cidr("10.0.0.0/33", &err));
    EXPECT_EQ(err, "invalid prefix length");
    EXPECT_FALSE(parse_cidr("nope/8", &err));
    EXPECT_TRUE(parse_cidr("fd00::/8"));
}

TEST(ListenAddress, Forms) {
    EXPECT_EQ(parse_listen_address(":10070")->port, 10070);
    EXPECT_EQ(parse_listen_address("0.0.0.0:10070")->host, "0.0.0.0");
    EXPECT_EQ(parse_listen_address("localhost:1")->host, "localhost");
    EXPECT_EQ(parse_listen_address("10070")->port, 10070);
    EXPECT_EQ(parse_listen_address("[::1]:80")->host, "::1");
    std::string err;
    EXPECT_FALSE(parse_listen_address(":0", &err));
    EXPECT_EQ(err, "port must be between 1 and 65535, got 0");
    EXPECT_FALSE(parse_listen_address(":70000", &err));
    EXPECT_FALSE(parse_listen_address("abc", &err));
    EXPECT_EQ(err, "invalid listen address format: abc");
    EXPECT_FALSE(parse_listen_address("host:http", &err));
    EXPECT_EQ(err, "invalid port in listen address: http");
    EXPECT_FALSE(parse_listen_address("", &err));
}

}  // namespace
}  // namespace ec::gw
