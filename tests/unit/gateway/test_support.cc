#include "test_support.h"

#include <stdlib.h>

#include <fstream>

namespace ec::gw::testing {

TempDir::TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ecgw-test-XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    if (!p) throw std::runtime_error("mkdtemp failed");
    _path = p;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(_path, ec);
}

std::string TempDir::write(const std::string& relative, std::string_view content) const {
    auto full = _path / relative;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream f(full, std::ios::binary);
    f << content;
    return full.string();
}

std::string main_yaml(std::string_view extra) {
    std::string s =
        "server:\n"
        "  listen: \":10070\"\n"
        "  timeout: 120s\n"
        "redis:\n"
        "  addr: \"localhost:6379\"\n"
        "internal:\n"
        "  listen: \":10071\"\n"
        "  auth_key: \"0123456789abcdef0123\"\n"
        "storage:\n"
        "  base_path: \"cache\"\n"
        "hosts:\n"
        "  include: \"hosts.d/\"\n";
    s += extra;
    return s;
}

std::string host_yaml(std::string_view host_extra) {
    return host_yaml_dims({}, host_extra);
}

std::string host_yaml_dims(std::string_view dims_extra, std::string_view host_extra) {
    std::string s =
        "hosts:\n"
        "  - id: 1\n"
        "    domain: \"example.com\"\n"
        "    render_key: \"key1\"\n"
        "    enabled: true\n"
        "    dimensions:\n"
        "      desktop:\n"
        "        id: 1\n"
        "        width: 1920\n"
        "        height: 1080\n"
        "        render_ua: \"UA\"\n"
        "        match_ua: [\"*Googlebot*\"]\n";
    s += dims_extra;
    s += "    render:\n"
         "      timeout: 30s\n";
    s += host_extra;
    return s;
}

LoadResult load_strings(const TempDir& dir, std::string_view main, std::string_view hosts,
                        const LoadOptions& options) {
    std::string path = dir.write("edge-gateway.yaml", main);
    dir.write("hosts.d/01-host.yaml", hosts);
    return load_config(path, options);
}

bool has_error(const LoadResult& r, std::string_view needle) {
    return find_error(r, needle) != nullptr;
}

bool has_warning(const LoadResult& r, std::string_view needle) {
    for (const auto& w : r.diagnostics.warnings()) {
        if (w.message.find(needle) != std::string::npos) return true;
    }
    return false;
}

const Diagnostic* find_error(const LoadResult& r, std::string_view needle) {
    for (const auto& e : r.diagnostics.errors()) {
        if (e.message.find(needle) != std::string::npos) return &e;
    }
    return nullptr;
}

std::string all_errors(const LoadResult& r) {
    std::string s;
    for (const auto& e : r.diagnostics.errors())
        s += format_diagnostic(e) + "\n";
    for (const auto& w : r.diagnostics.warnings())
        s += "warning: " + format_diagnostic(w) + "\n";
    return s;
}

}  // namespace ec::gw::testing
