#include "runtime/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <stdexcept>

namespace ec::rt {

namespace {

std::string openssl_errors() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out;
}

bool is_ip_literal(std::string_view host) {
    std::string h(host);
    unsigned char b[16];
    return inet_pton(AF_INET, h.c_str(), b) == 1 || inet_pton(AF_INET6, h.c_str(), b) == 1;
}

}  // namespace

std::shared_ptr<TlsContext> TlsContext::client(const TlsClientOptions& opts) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) throw std::runtime_error("TLS: SSL_CTX_new failed: " + openssl_errors());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (opts.verify_peer) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
        int ok = opts.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                                      : SSL_CTX_load_verify_locations(ctx, opts.ca_file.c_str(), nullptr);
        if (ok != 1) {
            std::string why = openssl_errors();
            SSL_CTX_free(ctx);
            throw std::runtime_error("TLS: cannot load CA certificates from " +
                                     (opts.ca_file.empty() ? std::string("the system store") : opts.ca_file) +
                                     ": " + why);
        }
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }
    return std::shared_ptr<TlsContext>(new TlsContext(ctx, opts.verify_peer));
}

TlsContext::~TlsContext() {
    SSL_CTX_free(_ctx);
}

TlsSession::TlsSession(std::shared_ptr<TlsContext> ctx, std::string_view server_name) : _ctx(std::move(ctx)) {
    _ssl = SSL_new(_ctx->native());
    if (!_ssl) throw std::runtime_error("TLS: SSL_new failed: " + openssl_errors());
    _rbio = BIO_new(BIO_s_mem());
    _wbio = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(_rbio, -1);  // empty input = "want more", not EOF
    SSL_set_bio(_ssl, _rbio, _wbio);    // the session owns both BIOs now
    SSL_set_connect_state(_ssl);
    std::string host(server_name);
    bool ip = is_ip_literal(host);
    if (!ip && !host.empty()) SSL_set_tlsext_host_name(_ssl, host.c_str());
    if (_ctx->verify_peer() && !host.empty()) {
        if (ip)
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(_ssl), host.c_str());
        else
            SSL_set1_host(_ssl, host.c_str());
    }
}

TlsSession::~TlsSession() {
    if (_ssl) SSL_free(_ssl);
}

void TlsSession::capture_error(int ssl_ret) {
    int e = SSL_get_error(_ssl, ssl_ret);
    long vr = SSL_get_verify_result(_ssl);
    std::string q = openssl_errors();
    if (vr != X509_V_OK) {
        _error = std::string("certificate verify failed: ") + X509_verify_cert_error_string(vr);
    } else if (!q.empty()) {
        _error = q;
    } else {
        _error = "TLS error " + std::to_string(e);
    }
}

Task<int> TlsSession::flush(TcpStream& s, CancelToken tok) {
    char* data = nullptr;
    long pending = BIO_get_mem_data(_wbio, &data);
    if (pending <= 0) co_return 0;
    int64_t r = co_await s.send_all(std::span<const char>(data, static_cast<size_t>(pending)), tok);
    if (r < 0) co_return static_cast<int>(r);
    (void)BIO_reset(_wbio);
    co_return 0;
}

Task<int> TlsSession::fill(TcpStream& s, CancelToken tok) {
    int n = co_await s.recv(std::span<char>(_netbuf, sizeof _netbuf), tok);
    if (n > 0) BIO_write(_rbio, _netbuf, n);
    co_return n;
}

Task<int> TlsSession::handshake(TcpStream& s, CancelToken tok) {
    for (;;) {
        ERR_clear_error();
        int r = SSL_do_handshake(_ssl);
        int f = co_await flush(s, tok);
        if (f < 0) co_return f;
        if (r == 1) co_return 0;
        int e = SSL_get_error(_ssl, r);
        if (e == SSL_ERROR_WANT_READ) {
            int n = co_await fill(s, tok);
            if (n < 0) co_return n;
            if (n == 0) {
                _error = "connection closed during the TLS handshake";
                co_return -EPROTO;
            }
            continue;
        }
        if (e == SSL_ERROR_WANT_WRITE) continue;
        capture_error(r);
        co_return -EPROTO;
    }
}

Task<int> TlsSession::read(TcpStream& s, std::span<char> buf, CancelToken tok) {
    for (;;) {
        ERR_clear_error();
        int r = SSL_read(_ssl, buf.data(), static_cast<int>(buf.size()));
        if (r > 0) co_return r;
        int e = SSL_get_error(_ssl, r);
        if (e == SSL_ERROR_ZERO_RETURN) co_return 0;
        if (e == SSL_ERROR_WANT_READ) {
            int f = co_await flush(s, tok);  // e.g. a key update answer
            if (f < 0) co_return f;
            int n = co_await fill(s, tok);
            if (n <= 0) co_return n;  // EOF without close_notify counts as end of stream
            continue;
        }
        if (e == SSL_ERROR_WANT_WRITE) {
            int f = co_await flush(s, tok);
            if (f < 0) co_return f;
            continue;
        }
        capture_error(r);
        co_return -EPROTO;
    }
}

Task<int> TlsSession::write_all(TcpStream& s, std::span<const char> data, CancelToken tok) {
    while (!data.empty()) {
        ERR_clear_error();
        size_t written = 0;
        int r = SSL_write_ex(_ssl, data.data(), data.size(), &written);
        if (r != 1) {
            int e = SSL_get_error(_ssl, r);
            if (e == SSL_ERROR_WANT_READ) {
                int n = co_await fill(s, tok);
                if (n <= 0) co_return n == 0 ? -EPIPE : n;
                continue;
            }
            if (e != SSL_ERROR_WANT_WRITE) {
                capture_error(r);
                co_return -EPROTO;
            }
        }
        data = data.subspan(written);
        int f = co_await flush(s, tok);
        if (f < 0) co_return f;
    }
    co_return 0;
}

}  // namespace ec::rt
