// TLS on top of TcpStream with OpenSSL memory BIOs: OpenSSL never touches the socket,
// the reactor does all I/O. Client side: SNI, peer verification against the system CA
// store (or a given CA file), hostname/IP checks. Core affinity: a session belongs to
// the reactor of its stream.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "runtime/cancel.h"
#include "runtime/net.h"
#include "runtime/task.h"

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;
using BIO = struct bio_st;

namespace ec::rt {

struct TlsClientOptions {
    bool verify_peer = true;  // false only for tests/diagnostics
    std::string ca_file;      // empty: the system CA store
};

class TlsContext {
  public:
    // Throws std::runtime_error with OpenSSL's reason when the CA file cannot be loaded.
    static std::shared_ptr<TlsContext> client(const TlsClientOptions& opts = {});
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;
    SSL_CTX* native() const noexcept { return _ctx; }
    bool verify_peer() const noexcept { return _verify; }

  private:
    TlsContext(SSL_CTX* ctx, bool verify) : _ctx(ctx), _verify(verify) {}
    SSL_CTX* _ctx;
    bool _verify;
};

class TlsSession {
  public:
    // `server_name` is sent as SNI (unless it is an IP literal) and checked against the
    // certificate when the context verifies peers.
    TlsSession(std::shared_ptr<TlsContext> ctx, std::string_view server_name);
    ~TlsSession();
    TlsSession(const TlsSession&) = delete;
    TlsSession& operator=(const TlsSession&) = delete;

    // 0 on success, -EPROTO on a TLS failure (see error()), or a socket -errno.
    Task<int> handshake(TcpStream& s, CancelToken tok);
    // Plaintext bytes read (> 0), 0 at a clean or unclean end of stream, or < 0.
    Task<int> read(TcpStream& s, std::span<char> buf, CancelToken tok);
    // Writes all of `data`; returns 0 or < 0.
    Task<int> write_all(TcpStream& s, std::span<const char> data, CancelToken tok);
    // Human-readable reason of the last -EPROTO (e.g. certificate verify failed: ...).
    const std::string& error() const noexcept { return _error; }

  private:
    Task<int> flush(TcpStream& s, CancelToken tok);
    Task<int> fill(TcpStream& s, CancelToken tok);
    void capture_error(int ssl_ret);

    std::shared_ptr<TlsContext> _ctx;
    SSL* _ssl = nullptr;
    BIO* _rbio = nullptr;  // network -> TLS
    BIO* _wbio = nullptr;  // TLS -> network
    std::string _error;
    char _netbuf[16 * 1024];
};

}  // namespace ec::rt
