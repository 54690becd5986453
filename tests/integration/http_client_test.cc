// HTTP client, TLS and DNS against real peers: nginx (plain and TLS with a certificate
// made for this run), our own HttpServer, and raw sockets for framing edge cases.
#include "runtime/http_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "runtime/gate.h"
#include "runtime/http_server.h"
#include "runtime/ip_policy.h"
#include "runtime/reactor.h"
#include "runtime/time.h"
#include "runtime/when_all.h"
#include "support/nginx_server.h"

namespace ec::rt {
namespace {

using test::NginxServer;

HttpClientResponse get(Reactor& r, HttpClient& c, std::string url, uint32_t timeout_ms = 5000,
                       std::string method = "GET") {
    HttpClientRequest req;
    req.url = std::move(url);
    req.timeout_ms = timeout_ms;
    req.method = std::move(method);
    return r.block_on(c.request(std::move(req)));
}

TEST(HttpClient, PlainGetAgainstNginxReusesTheConnection) {
    NginxServer ng;
    if (!ng.ok()) GTEST_SKIP() << ng.skip_reason();
    Reactor r;
    HttpClient c;
    std::string base = "http://127.0.0.1:" + std::to_string(ng.http_port());
    auto a = get(r, c, base + "/hello");
    ASSERT_EQ(a.status, 200) << a.error;
    EXPECT_EQ(a.body, "hello from nginx");
    EXPECT_FALSE(a.reused_connection);
    auto b = get(r, c, base + "/index.html");
    ASSERT_EQ(b.status, 200) << b.error;
    EXPECT_EQ(b.body, "hello from nginx");
    EXPECT_TRUE(b.reused_connection);
    EXPECT_EQ(c.connections_opened(), 1u);
    auto h = get(r, c, base + "/index.html", 5000, "HEAD");
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(h.body, "");
    EXPECT_EQ(h.header("content-length"), "16");
    auto again = get(r, c, base + "/hello");
    EXPECT_EQ(again.body, "hello from nginx") << "the HEAD response left no stray body on the connection";
}

TEST(HttpClient, RedirectsAreReturnedNotFollowed) {
    NginxServer ng;
    if (!ng.ok()) GTEST_SKIP() << ng.skip_reason();
    Reactor r;
    HttpClient c;
    auto res = get(r, c, "http://127.0.0.1:" + std::to_string(ng.http_port()) + "/redirect");
    EXPECT_EQ(res.status, 301);
    EXPECT_NE(res.header("location").find("/target"), std::string::npos);
}

TEST(HttpClient, TlsVerifiesAgainstTheGivenCa) {
    NginxServer ng;
    if (!ng.ok()) GTEST_SKIP() << ng.skip_reason();
    Reactor r;
    DnsResolver dns(DnsOptions{.timeout_ms = 500, .tries = 1, .lookups = "f"});
    HttpClientOptions o;
    o.tls.ca_file = ng.ca_file();
    o.resolver = &dns;
    HttpClient c(o);
    auto byip = get(r, c, "https://127.0.0.1:" + std::to_string(ng.https_port()) + "/hello");
    ASSERT_EQ(byip.status, 200) << byip.error;
    EXPECT_EQ(byip.body, "hello from nginx");
    auto byname = get(r, c, "https://localhost:" + std::to_string(ng.https_port()) + "/hello");
    ASSERT_EQ(byname.status, 200) << byname.error;
    auto reuse = get(r, c, "https://127.0.0.1:" + std::to_string(ng.https_port()) + "/index.html");
    EXPECT_TRUE(reuse.reused_connection);
    EXPECT_EQ(reuse.body, "hello from nginx");
}

TEST(HttpClient, TlsRejectsUnknownCaAndWrongName) {
    NginxServer ng;
    if (!ng.ok()) GTEST_SKIP() << ng.skip_reason();
    Reactor r;
    HttpClient system_store;  // the test CA is not in the system store
    auto res = get(r, system_store, "https://127.0.0.1:" + std::to_string(ng.https_port()) + "/hello");
    EXPECT_EQ(res.status, 0);
    EXPECT_NE(res.error.find("certificate verify failed"), std::string::npos) << res.error;

    HttpClientOptions o;
    o.tls.ca_file = ng.ca_file();
    HttpClient c(o);
    // 127.0.0.2 reaches the same nginx, but the certificate does not name it.
    auto wrong = get(r, c, "https://127.0.0.2:" + std::to_string(ng.https_port()) + "/hello");
    EXPECT_EQ(wrong.status, 0);
    EXPECT_NE(wrong.error.find("certificate verify failed"), std::string::npos) << wrong.error;
    EXPECT_NE(wrong.error.find("mismatch"), std::string::npos) << wrong.error;

    HttpClientOptions insecure;
    insecure.tls.verify_peer = false;
    HttpClient nv(insecure);
    auto ok = get(r, nv, "https://127.0.0.1:" + std::to_string(ng.https_port()) + "/hello");
    EXPECT_EQ(ok.status, 200) << ok.error;
}

TEST(HttpClient, SsrfFilterRefusesPrivateAddressesUnlessAllowed) {
    NginxServer ng;
    if (!ng.ok()) GTEST_SKIP() << ng.skip_reason();
    Reactor r;
    IpPolicy strict;
    HttpClientOptions o;
    o.address_filter = [&](const SocketAddress& a) { return strict.allowed(a); };
    HttpClient c(o);
    auto res = get(r, c, "http://127.0.0.1:" + std::to_string(ng.http_port()) + "/hello");
    EXPECT_EQ(res.status, 0);
    EXPECT_NE(res.error.find("not allowed"), std::string::npos) << res.error;
    EXPECT_EQ(c.connections_opened(), 0u) << "no connection is made to a refused address";

    IpPolicy allow({*Cidr::parse("127.0.0.0/8")});
    HttpClientOptions o2;
    o2.address_filter = [&](const SocketAddress& a) { return allow.allowed(a); };
    HttpClient c2(o2);
    EXPECT_EQ(get(r, c2, "http://127.0.0.1:" + std::to_string(ng.http_port()) + "/hello").status, 200);
}

TEST(IpPolicy, ClassifiesTheReferenceRanges) {
    auto ip = [](const char* s) {
        return *SocketAddress::parse(std::string(s).find(':') != std::string::npos
                                         ? "[" + std::string(s) + "]:1"
                                         : std::string(s) + ":1");
    };
    for (const char* priv :
         {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.1.1", "100.64.0.1",
          "0.1.2.3", "224.0.0.1", "::1", "fe80::1", "fd00::1", "ff02::1", "::ffff:10.0.0.1"})
        EXPECT_TRUE(IpPolicy::is_private_or_reserved(ip(priv))) << priv;
    for (const char* pub : {"8.8.8.8", "172.32.0.1", "100.128.0.1", "2001:4860::8888", "93.184.216.34"})
        EXPECT_FALSE(IpPolicy::is_private_or_reserved(ip(pub))) << pub;
    std::string err;
    EXPECT_FALSE(Cidr::parse("10.0.0.0/33", &err));
    EXPECT_NE(err.find("0-32"), std::string::npos);
    EXPECT_FALSE(Cidr::parse("nope/8", &err));
}

// A raw server that answers each connection with canned bytes, then closes (or hangs).
Task<void> raw_server(TcpListener& l, std::string reply, bool close_after, int conns) {
    Gate g;
    for (int i = 0; i < conns; ++i) {
        int fd = co_await l.accept();
        if (fd < 0) break;
        spawn(g, [](TcpStream s, std::string rep, bool close) -> Task<void> {
            char buf[4096];
            co_await s.recv(buf, {}, 2000);
            if (!rep.empty()) co_await s.send_all(rep);
            if (!close) co_await sleep_for(Millis(3000));
        }(TcpStream(fd), reply, close_after));
    }
    co_await g.close();
}

HttpClientResponse against_raw(std::string reply, bool close_after, HttpClientRequest req) {
    Reactor r;
    auto l = TcpListener::bind(SocketAddress::loopback(0));
    req.url = "http://127.0.0.1:" + std::to_string(l->local_address().port()) + req.url;
    HttpClient c;
    return r.block_on([](TcpListener& lst, HttpClient& cl, std::string rep, bool close,
                         HttpClientRequest rq) -> Task<HttpClientResponse> {
        auto [_, res] = co_await when_all(raw_server(lst, rep, close, 1), cl.request(rq));
        co_await lst.close();
        co_return res;
    }(*l, c, std::move(reply), close_after, std::move(req)));
}

TEST(HttpClient, ChunkedAndCloseDelimitedBodies) {
    HttpClientRequest req;
    req.url = "/x";
    auto chunked = against_raw(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nX-A: "
        "2\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n",
        true, req);
    EXPECT_EQ(chunked.status, 200) << chunked.error;
    EXPECT_EQ(chunked.body, "Wikipedia");
    int xa = 0;
    for (auto& [k, v] : chunked.headers)
        xa += k == "X-A";
    EXPECT_EQ(xa, 2) << "repeated headers are kept";
    auto eof = against_raw("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", true, req);
    EXPECT_EQ(eof.status, 200) << eof.error;
    EXPECT_EQ(eof.body, "until the end");
    auto cont = against_raw("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", true, req);
    EXPECT_EQ(cont.status, 204) << "interim 1xx responses are skipped";
}

TEST(HttpClient, TruncatedMalformedAndOversizedResponsesFailClearly) {
    HttpClientRequest req;
    req.url = "/x";
    auto trunc = against_raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", true, req);
    EXPECT_EQ(trunc.status, 0);
    EXPECT_NE(trunc.error.find("before the response was complete"), std::string::npos) << trunc.error;
    auto bad = against_raw("NOT HTTP AT ALL\r\n\r\n", true, req);
    EXPECT_EQ(bad.status, 0);
    EXPECT_NE(bad.error.find("malformed"), std::string::npos) << bad.error;
    req.max_response_bytes = 10;
    auto big = against_raw("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n" + std::string(50, 'x'), true, req);
    EXPECT_EQ(big.status, 0);
    EXPECT_NE(big.error.find("larger than 10"), std::string::npos) << big.error;
}

TEST(HttpClient, DeadlineBoundsASilentServer) {
    HttpClientRequest req;
    req.url = "/x";
    req.timeout_ms = 200;
    auto t0 = std::chrono::steady_clock::now();
    auto res = against_raw("", false, req);
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(res.status, 0);
    EXPECT_NE(res.error.find("timeout after 200 ms"), std::string::npos) << res.error;
    EXPECT_LT(ms, 3500) << "the client gives up at its deadline (the raw server lingers 3 s on its own)";
}

class EchoHandler : public HttpHandler {
  public:
    bool try_handle(HttpRequest& req, HttpResponse& res) override {
        res.set_body(std::string(req.method()) + ":" + std::string(req.body()) + ":" +
                     std::string(req.header("x-h")));
        return true;
    }
    Task<void> handle(HttpRequest&, HttpResponse&) override { co_return; }
};

TEST(HttpClient, PostToOurServerAndRecoverFromServerSideIdleClose) {
    Reactor r;
    auto l = TcpListener::bind(SocketAddress::loopback(0));
    EchoHandler h;
    HttpServerOptions so;
    so.idle_timeout_ms = 100;
    HttpServer srv(h, so);
    std::string base = "http://127.0.0.1:" + std::to_string(l->local_address().port());
    HttpClient c;
    r.block_on([](HttpServer& s, TcpListener& lst, HttpClient& cl, std::string b) -> Task<void> {
        Gate g;
        spawn(g, s.serve(lst));
        HttpClientRequest req;
        req.method = "POST";
        req.url = b + "/p";
        req.body = "payload";
        req.headers = {{"X-H", "v1"}};
        auto a = co_await cl.request(req);
        EXPECT_EQ(a.status, 200) << a.error;
        EXPECT_EQ(a.body, "POST:payload:v1");
        co_await sleep_for(Millis(300));  // the server closes the idle pooled connection
        auto b2 = co_await cl.request(req);
        EXPECT_EQ(b2.status, 200) << b2.error;
        EXPECT_EQ(b2.body, "POST:payload:v1");
        co_await s.drain(500);
        co_await g.close();
    }(srv, *l, c, base));
}

TEST(Dns, ResolvesFromHostsFileAndCaches) {
    Reactor r;
    DnsResolver dns(DnsOptions{.timeout_ms = 500, .tries = 1, .lookups = "f"});
    auto a = r.block_on(dns.resolve("localhost", 8080));
    ASSERT_EQ(a.error, 0) << a.message;
    ASSERT_FALSE(a.addresses.empty());
    bool v4 = false;
    for (auto& ad : a.addresses) {
        EXPECT_EQ(ad.port(), 8080);
        if (ad.to_string() == "127.0.0.1:8080") v4 = true;
    }
    EXPECT_TRUE(v4);
    EXPECT_EQ(a.addresses.front().family(), AF_INET) << "IPv4 first";
    uint64_t q = dns.queries_sent();
    auto b = r.block_on(dns.resolve("LOCALHOST", 9));
    EXPECT_TRUE(b.from_cache);
    EXPECT_EQ(dns.queries_sent(), q) << "a cached answer does not query again";
    EXPECT_EQ(b.addresses.front().port(), 9);
    auto lit = r.block_on(dns.resolve("::1", 5));
    EXPECT_EQ(lit.addresses.at(0).to_string(), "[::1]:5");
    EXPECT_EQ(dns.queries_sent(), q) << "IP literals never query";
}

TEST(Dns, UnknownNameFailsWithAReasonAndIsNegativelyCached) {
    Reactor r;
    DnsResolver dns(DnsOptions{.timeout_ms = 300, .tries = 1, .lookups = "f"});
    auto t0 = std::chrono::steady_clock::now();
    auto a = r.block_on(dns.resolve("no-such-host.invalid", 80));
    EXPECT_NE(a.error, 0);
    EXPECT_NE(a.message.find("no-such-host.invalid"), std::string::npos) << a.message;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
    uint64_t q = dns.queries_sent();
    auto b = r.block_on(dns.resolve("no-such-host.invalid", 80));
    EXPECT_NE(b.error, 0);
    EXPECT_TRUE(b.from_cache);
    EXPECT_EQ(dns.queries_sent(), q);
}

}  // namespace
}  // namespace ec::rt
