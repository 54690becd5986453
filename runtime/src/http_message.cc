#include "runtime/http_message.h"

#include "runtime/http_status.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <charconv>
#include <ctime>

namespace ec::rt {

namespace {
inline char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
}

void append_clean(std::string& out, std::string_view s) {
    for (char c : s)
        if (c != '\r' && c != '\n') out.push_back(c);
}
}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string_view HttpRequest::header(std::string_view name) const noexcept {
    for (size_t i = 0; i < _header_count; ++i)
        if (iequals(_headers[i].name, name)) return _headers[i].value;
    return {};
}

bool HttpRequest::has_header(std::string_view name) const noexcept {
    for (size_t i = 0; i < _header_count; ++i)
        if (iequals(_headers[i].name, name)) return true;
    return false;
}

std::string HttpRequest::peer_ip() const {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getpeername(_fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
    char buf[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf);
    else if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof buf);
    return buf;
}

void HttpResponse::add_header(std::string_view name, std::string_view value) {
    append_clean(_headers, name);
    _headers.append(": ");
    append_clean(_headers, value);
    _headers.append("\r\n");
}

void HttpResponse::add_header(std::string_view name, uint64_t value) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, value);
    add_header(name, std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

std::string_view HttpResponse::find_header(std::string_view name) const noexcept {
    std::string_view h = _headers;
    while (!h.empty()) {
        size_t eol = h.find("\r\n");
        std::string_view line = h.substr(0, eol);
        size_t colon = line.find(':');
        if (colon != std::string_view::npos && iequals(line.substr(0, colon), name)) {
            std::string_view v = line.substr(colon + 1);
            while (!v.empty() && v.front() == ' ')
                v.remove_prefix(1);
            return v;
        }
        if (eol == std::string_view::npos) break;
        h.remove_prefix(eol + 2);
    }
    return {};
}

void HttpResponse::reset() noexcept {
    _status = 200;
    _close = false;
    _headers.clear();
    _owned.clear();
    _body = {};
    _keep.reset();
    _file_fd = -1;
    _file_close = false;
    _file_off = 0;
    _file_len = 0;
}

std::string_view http_reason(int status) noexcept {
    std::string_view t = http_status_text(status);
    return t.empty() ? std::string_view("Unknown") : t;
}

std::string_view http_date_now() noexcept {
    thread_local char buf[32];
    thread_local time_t cached = -1;
    timespec ts{};
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != cached) {
        cached = ts.tv_sec;
        tm t{};
        gmtime_r(&cached, &t);
        strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &t);
    }
    return {buf, 29};
}

}  // namespace ec::rt
