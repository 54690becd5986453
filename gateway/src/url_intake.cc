#include "gateway/url_intake.h"

namespace ec::gw {
namespace {

int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string_view arg_name(std::string_view arg) {
    auto eq = arg.find('=');
    return eq == std::string_view::npos ? arg : arg.substr(0, eq);
}

// Arguments the gateway itself understands on /render.
bool is_gateway_argument(std::string_view name) {
    return name == "url";
}

}  // namespace

void form_decode_append(std::string_view in, std::string& out) {
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%' && i + 2 < in.size() && hexval(in[i + 1]) >= 0 && hexval(in[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hexval(in[i + 1]) * 16 + hexval(in[i + 2])));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
}

bool extract_target_url(std::string_view raw_query, std::string& out) {
    out.clear();
    std::size_t pos = 0;
    while (pos <= raw_query.size()) {
        std::size_t amp = raw_query.find('&', pos);
        std::size_t end = amp == std::string_view::npos ? raw_query.size() : amp;
        std::string_view arg = raw_query.substr(pos, end - pos);
        if (arg_name(arg) == "url") {
            std::string_view value = arg.size() > 3 ? arg.substr(4) : std::string_view();
            if (value.find("://") != std::string_view::npos && amp != std::string_view::npos) {
                // Any following argument that is not ours means the URL's own query was split.
                std::string_view rest = raw_query.substr(amp + 1);
                bool foreign = false;
                while (!rest.empty()) {
                    auto next = rest.find('&');
                    std::string_view a = rest.substr(0, next);
                    if (!a.empty() && !is_gateway_argument(arg_name(a))) foreign = true;
                    if (next == std::string_view::npos) break;
                    rest.remove_prefix(next + 1);
                }
                if (foreign) {
                    out.append(raw_query.substr(pos + 4));
                    return true;
                }
            }
            form_decode_append(value, out);
            return true;
        }
        if (amp == std::string_view::npos) break;
        pos = amp + 1;
    }
    return false;
}

}  // namespace ec::gw
