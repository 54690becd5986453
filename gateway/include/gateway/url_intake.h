// Getting the target URL out of the /render request (reference F-GW-02, DECISIONS A-37).
#pragma once

#include <string>
#include <string_view>

namespace ec::gw {

// From the raw (undecoded) query string of a /render request, writes the target URL to `out`.
//
// Normally that is the first `url` argument, form-decoded ('+' is a space, %XX decoded; a malformed escape is
// kept as written, like fasthttp). When that argument is not percent-encoded (its raw value contains "://")
// and further '&' arguments follow that are not gateway arguments, the proxy forwarded an unencoded URL whose
// own query got split (nginx `url=$scheme://$host$request_uri`, HAProxy `%[query]`): the target is then the
// raw remainder after "url=", so every query parameter survives.
//
// Returns false when there is no `url` argument. Allocation-free once `out` has capacity.
bool extract_target_url(std::string_view raw_query, std::string& out);

// Form-decodes into out (appending). Invalid escapes are copied through.
void form_decode_append(std::string_view in, std::string& out);

}  // namespace ec::gw
