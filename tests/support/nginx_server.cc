#include "support/nginx_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/blocking_socket.h"

extern char** environ;

namespace ec::test {

uint16_t free_loopback_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

std::string find_binary(const std::string& name) {
    if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
    const char* path = std::getenv("PATH");
    std::string p = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
    p += ":/usr/sbin:/sbin";
    size_t start = 0;
    while (start <= p.size()) {
        size_t end = p.find(':', start);
        std::string dir = p.substr(start, end == std::string::npos ? std::string::npos : end - start);
        std::string cand = dir + "/" + name;
        if (!dir.empty() && access(cand.c_str(), X_OK) == 0) return cand;
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return "";
}

namespace {
bool port_open(uint16_t port) {
    int fd = connect_loopback(port, 2000);
    if (fd >= 0) ::close(fd);
    return fd >= 0;
}
}  // namespace

NginxServer::NginxServer(const std::string& extra_locations) {
    std::string nginx = find_binary("nginx"), openssl = find_binary("openssl");
    if (nginx.empty()) {
        _skip = "nginx is not installed (apt-get install nginx-light)";
        return;
    }
    if (openssl.empty()) {
        _skip = "openssl CLI is not installed (apt-get install openssl)";
        return;
    }
    char tmpl[] = "/tmp/ec_nginx_XXXXXX";
    _dir = mkdtemp(tmpl);
    chmod(_dir.c_str(), 0755);  // nginx workers run unprivileged
    _ca = _dir + "/ca.pem";
    std::string d = _dir;
    std::string cmd =
        "cd " + d + " && " + openssl +
        " req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=EdgeComet Test CA' "
        ">/dev/null 2>&1 && " +
        openssl +
        " req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=localhost' >/dev/null "
        "2>&1 && "
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext && " +
        openssl +
        " x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
        "-extfile san.ext >/dev/null 2>&1 && chmod 644 server.key";
    if (std::system(cmd.c_str()) != 0) {
        _skip = "openssl could not create the test certificates";
        return;
    }
    std::ofstream(d + "/index.html") << "hello from nginx";
    _http_port = free_loopback_port();
    _https_port = free_loopback_port();
    std::ofstream conf(d + "/nginx.conf");
    conf << "worker_processes 1;\ndaemon off;\nmaster_process off;\npid " << d << "/nginx.pid;\nerror_log "
         << d << "/error.log warn;\nevents { worker_connections 256; }\nhttp {\n  access_log off;\n"
         << "  client_body_temp_path " << d << "/body;\n  proxy_temp_path " << d << "/proxy;\n"
         << "  fastcgi_temp_path " << d << "/fcgi;\n  uwsgi_temp_path " << d << "/uwsgi;\n  scgi_temp_path "
         << d << "/scgi;\n  keepalive_timeout 30s;\n  server {\n    listen 127.0.0.1:" << _http_port
         << ";\n    listen 127.0.0.1:" << _https_port << " ssl;\n    listen 127.0.0.2:" << _https_port
         << " ssl;\n    ssl_certificate " << d << "/server.pem;\n    ssl_certificate_key " << d
         << "/server.key;\n    root " << d
         << ";\n    location = /hello { default_type text/plain; return 200 'hello from nginx'; }\n"
         << "    location = /redirect { return 301 /target; }\n"
         << extra_locations << "  }\n}\n";
    conf.close();
    std::string conf_path = d + "/nginx.conf", err_path = d + "/error.log";
    const char* argv[] = {nginx.c_str(), "-c", conf_path.c_str(), "-p",
                          d.c_str(),     "-e", err_path.c_str(),  nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, nginx.c_str(), &fa, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        _skip = "cannot start nginx";
        return;
    }
    _pid = pid;
    for (int i = 0; i < 200; ++i) {
        if (port_open(_http_port) && port_open(_https_port)) return;
        int st;
        if (waitpid(_pid, &st, WNOHANG) == _pid) {
            _pid = -1;
            std::ifstream e(err_path);
            std::string log((std::istreambuf_iterator<char>(e)), {});
            _skip = "nginx exited at start: " + log;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    _skip = "nginx did not open its ports within 5 s";
}

NginxServer::~NginxServer() {
    if (_pid > 0) {
        ::kill(_pid, SIGKILL);
        int st;
        waitpid(_pid, &st, 0);
    }
    if (!_dir.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(_dir, ec);
    }
}

}  // namespace ec::test
