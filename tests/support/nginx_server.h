// Starts a real nginx (Debian nginx-light) on free loopback ports for tests: one plain
// HTTP port and one TLS port with a certificate signed by a CA generated per test run
// (openssl CLI; names: localhost, 127.0.0.1). The TLS port also listens on 127.0.0.2,
// an address the certificate does not name. GTEST_SKIP()s with the reason when nginx or openssl is missing.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace ec::test {

class NginxServer {
  public:
    // `extra_locations` is pasted inside the server{} block.
    explicit NginxServer(const std::string& extra_locations = "");
    ~NginxServer();
    NginxServer(const NginxServer&) = delete;
    NginxServer& operator=(const NginxServer&) = delete;

    // False (with skip_reason()) when the test must be skipped.
    bool ok() const noexcept { return _pid > 0; }
    const std::string& skip_reason() const noexcept { return _skip; }
    uint16_t http_port() const noexcept { return _http_port; }
    uint16_t https_port() const noexcept { return _https_port; }
    const std::string& ca_file() const noexcept { return _ca; }
    const std::string& dir() const noexcept { return _dir; }

  private:
    std::string _dir, _ca, _skip;
    uint16_t _http_port = 0, _https_port = 0;
    pid_t _pid = -1;
};

// A free TCP port on 127.0.0.1 (bound and released; tiny race accepted in tests).
uint16_t free_loopback_port();
// Path of an executable found in PATH or the given absolute path; empty when missing.
std::string find_binary(const std::string& name);

}  // namespace ec::test
