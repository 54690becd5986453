#include "gateway/client_ip.h"

namespace ec::gw {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

}  // namespace

std::string_view clean_client_ip(std::string_view value) {
    if (auto comma = value.find(','); comma != std::string_view::npos) value = value.substr(0, comma);
    value = trim(value);
    if (value.starts_with("[")) {
        auto close = value.find(']');
        value = close == std::string_view::npos ? value.substr(1) : value.substr(1, close - 1);
    }
    if (auto zone = value.find('%'); zone != std::string_view::npos) value = value.substr(0, zone);
    return value;
}

}  // namespace ec::gw
