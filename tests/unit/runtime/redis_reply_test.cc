// Pure unit tests of the Redis wire layer: command encoding (pinned against hiredis'
// own formatter), the reply parser, typed replies and script hashing.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <string>
#include <vector>

#include "runtime/redis.h"

namespace ec::rt::redis {
namespace {

std::string hiredis_format(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    char* cmd = nullptr;
    int n = redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), argv.data(), lens.data());
    std::string out(cmd, static_cast<size_t>(n));
    redisFreeCommand(cmd);
    return out;
}

TEST(RedisEncode, MatchesHiredisFormatter) {
    const std::vector<std::vector<std::string>> cases = {
        {"PING"},
        {"GET", "key"},
        {"SET", "k", ""},
        {"SET", "bin\r\nary", std::string("\0\x01\xff", 3)},
        {"SET", "big", std::string(100'000, 'x')},
        {"MSET", "a", "1", "b", "22", "c", "333", "d", "4444", "e", "55555", "f", "666666"},
    };
    for (const auto& c : cases) {
        std::string ours;
        append_command(ours, ArgList(c));
        EXPECT_EQ(ours, hiredis_format(c)) << c[0];
    }
}

TEST(RedisEncode, ConcatenatesPartsAndAppends) {
    std::string out = "prefix|";
    const std::string_view head[] = {"EVALSHA", "abc", "2"};
    const std::vector<std::string> keys = {"k1", "k2"};
    const std::string_view args[] = {"a1"};
    const ArgList parts[] = {ArgList(std::span<const std::string_view>(head)), ArgList(keys),
                             ArgList(std::span<const std::string_view>(args))};
    append_command(out, parts);
    EXPECT_EQ(out, "prefix|" + hiredis_format({"EVALSHA", "abc", "2", "k1", "k2", "a1"}));
    // Twelve arguments: a two-digit count.
    std::string many;
    std::vector<std::string> v(12, "v");
    append_command(many, ArgList(v));
    EXPECT_TRUE(many.starts_with("*12\r\n$1\r\nv\r\n"));
}

std::vector<Reply> parse_all(std::string_view wire, size_t step) {
    ReplyParser p;
    std::vector<Reply> out;
    for (size_t off = 0; off < wire.size(); off += step) {
        p.feed(wire.data() + off, std::min(step, wire.size() - off));
        Reply r;
        for (;;) {
            auto st = p.next(r);
            EXPECT_NE(st, ReplyParser::Status::error) << p.error();
            if (st != ReplyParser::Status::reply) break;
            out.push_back(std::move(r));
        }
    }
    return out;
}

TEST(RedisParser, ParsesEveryTypeWholeAndByteByByte) {
    const std::string wire =
        "+OK\r\n"
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        ":-42\r\n"
        "$5\r\nhe\r\no\r\n"
        "$0\r\n\r\n"
        "$-1\r\n"
        "*-1\r\n"
        "*0\r\n"
        "*3\r\n$1\r\na\r\n:7\r\n*2\r\n$-1\r\n+inner\r\n";
    const std::vector<Reply> want = {
        Reply::status("OK"),
        Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value"),
        Reply::integer(-42),
        Reply::string("he\r\no"),
        Reply::string(""),
        Reply(),
        Reply(),
        Reply::array({}),
        Reply::array(
            {Reply::string("a"), Reply::integer(7), Reply::array({Reply(), Reply::status("inner")})}),
    };
    for (size_t step : {wire.size(), size_t{1}, size_t{3}, size_t{7}}) {
        auto got = parse_all(wire, step);
        ASSERT_EQ(got.size(), want.size()) << "step " << step;
        for (size_t i = 0; i < want.size(); ++i)
            EXPECT_EQ(got[i], want[i]) << "step " << step << " reply " << i;
    }
}

TEST(RedisParser, ManyRepliesAndLargeBulkAcrossFeeds) {
    std::string wire;
    for (int i = 0; i < 5000; ++i)
        wire += ":" + std::to_string(i) + "\r\n";
    const std::string big(300'000, 'z');
    wire += "$" + std::to_string(big.size()) + "\r\n" + big + "\r\n";
    auto got = parse_all(wire, 4096);
    ASSERT_EQ(got.size(), 5001u);
    for (int i = 0; i < 5000; ++i)
        ASSERT_EQ(got[static_cast<size_t>(i)].integer(), i);
    EXPECT_EQ(got.back().str(), big);
}

TEST(RedisParser, ReportsProtocolErrors) {
    ReplyParser p;
    p.feed("?bogus\r\n", 8);
    Reply r;
    EXPECT_EQ(p.next(r), ReplyParser::Status::error);
    EXPECT_FALSE(p.error().empty());
    // The error is sticky: the stream cannot be resynchronised.
    p.feed("+OK\r\n", 5);
    EXPECT_EQ(p.next(r), ReplyParser::Status::error);
}

TEST(RedisParser, PartialReplyIsNeedMore) {
    ReplyParser p;
    p.feed("*2\r\n$3\r\nfoo\r\n", 13);
    Reply r;
    EXPECT_EQ(p.next(r), ReplyParser::Status::need_more);
    p.feed(":1\r\n", 4);
    ASSERT_EQ(p.next(r), ReplyParser::Status::reply);
    EXPECT_EQ(r, Reply::array({Reply::string("foo"), Reply::integer(1)}));
}

TEST(RedisReply, AccessorsAndRendering) {
    Reply e = Reply::error("NOSCRIPT No matching script. Please use EVAL.");
    EXPECT_TRUE(e.is_error());
    EXPECT_EQ(e.error_code(), "NOSCRIPT");
    EXPECT_EQ(Reply::error("ERR").error_code(), "ERR");
    EXPECT_EQ(Reply::string("x").error_code(), "");
    EXPECT_TRUE(Reply::status("OK").is_ok());
    EXPECT_FALSE(Reply::string("OK").is_ok());
    EXPECT_EQ(Reply::string("x").integer(), 0);
    EXPECT_TRUE(Reply::integer(3).elements().empty());

    EXPECT_EQ(Reply().to_string(), "(nil)");
    EXPECT_EQ(Reply::status("OK").to_string(), "OK");
    EXPECT_EQ(Reply::error("ERR x").to_string(), "(error) ERR x");
    EXPECT_EQ(Reply::integer(-1).to_string(), "(integer) -1");
    EXPECT_EQ(Reply::string("a\"b\r\n\x01").to_string(), "\"a\\\"b\\r\\n\\x01\"");
    EXPECT_EQ(Reply::array({}).to_string(), "(empty array)");
    EXPECT_EQ(Reply::array({Reply::string("a"), Reply()}).to_string(), "[\"a\", (nil)]");

    Reply s = Reply::string("payload");
    EXPECT_EQ(s.take_str(), "payload");
    EXPECT_TRUE(s.is_string());
}

TEST(RedisReply, ExpectedCarriesValueOrError) {
    Result ok = Reply::integer(5);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->integer(), 5);
    Result bad = Error{Errc::timeout, "redis 127.0.0.1:1: GET got no reply within 10 ms"};
    EXPECT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::timeout);
    EXPECT_STREQ(errc_name(bad.error().code), "timeout");
    Expected<void> v;
    EXPECT_TRUE(v);
    Expected<void> verr = Error{Errc::closed, "closed"};
    EXPECT_FALSE(verr);
}

TEST(RedisScript, Sha1MatchesRedis) {
    // Known from `SCRIPT LOAD "return 1"`.
    EXPECT_EQ(Script("return 1").sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    EXPECT_EQ(Script("").sha1(), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST(RedisOptions, BadAddressIsRejectedWithTheReason) {
    Reactor r;
    try {
        Client c(Options{.addr = "redis.example:6379"});
        FAIL() << "a host name must be rejected";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("redis.example:6379"), std::string::npos) << e.what();
    }
    EXPECT_THROW(Client(Options{.addr = ":6379"}), std::invalid_argument);
    EXPECT_THROW(Client(Options{.addr = "127.0.0.1:0"}), std::invalid_argument);
    Client ok(Options{.addr = "unix:/tmp/x.sock"});
    EXPECT_EQ(ok.address(), "unix:/tmp/x.sock");
    EXPECT_FALSE(ok.connected());
}

}  // namespace
}  // namespace ec::rt::redis
