// Helpers shared by the gateway tests: temporary configuration trees and diagnostic searches.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "gateway/config.h"

namespace ec::gw::testing {

// A temporary directory removed at destruction.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return _path; }
    // Writes `content` to `relative` (creating directories); returns the full path.
    std::string write(const std::string& relative, std::string_view content) const;

  private:
    std::filesystem::path _path;
};

// A minimal valid edge-gateway.yaml; `extra` is appended at top level.
std::string main_yaml(std::string_view extra = {});
// A minimal valid host list with one host whose last section is `render:`; `host_extra` is appended, so
// 4-space keys are host keys and 6-space keys land in render.
std::string host_yaml(std::string_view host_extra = {});
// The same host with `dims_extra` appended inside its dimensions map (6-space dimension names).
std::string host_yaml_dims(std::string_view dims_extra, std::string_view host_extra = {});

// Loads main + one host file from a fresh temp dir. The TempDir must outlive uses of file paths.
LoadResult load_strings(const TempDir& dir, std::string_view main, std::string_view hosts,
                        const LoadOptions& options = {});

bool has_error(const LoadResult& r, std::string_view needle);
bool has_warning(const LoadResult& r, std::string_view needle);
// The first error containing needle (or nullptr).
const Diagnostic* find_error(const LoadResult& r, std::string_view needle);
std::string all_errors(const LoadResult& r);

}  // namespace ec::gw::testing
