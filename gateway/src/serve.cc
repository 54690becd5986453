#include "serve.h"

#include <cstdio>

namespace ec::gw {

int run_gateway(const Config& config) {
    std::fprintf(stderr,
                 "edge-gateway: configuration %s loaded (%zu hosts), but serving is not built yet; "
                 "use -t to test the configuration\n",
                 config.path.c_str(), config.policy.hosts().size());
    return 2;
}

}  // namespace ec::gw
