// The one script the engine evaluates in a rendered page (Runtime.evaluate,
// returnByValue). In a single pass it reads everything the render result needs, so the
// capture costs one round trip:
//
//   {
//     url,                      // location.href after JS redirects
//     nav_status,               // performance navigation entry's responseStatus (fallback)
//     status_meta,              // <meta name="prerender-status-code"> content, "" if none
//     header_metas: [..],       // <meta name="prerender-header"> contents ("Name: value")
//     seo: { title, description, canonical, robots, googlebot, h1, h2, h3,
//            hreflang: [[lang, url]..], ld_types: [..] },
//     stripped,                 // number of script/link elements removed
//     html | too_large + html_length
//   }
//
// Script stripping (F-RS-12) runs after the SEO read, on the live DOM: the page is
// disposed right after, so no clone is needed. The HTML is doctype + outerHTML; when
// longer than the limit in UTF-16 units (then certainly longer in UTF-8 bytes) it is not
// sent at all.
#pragma once

#include <cstddef>
#include <string>

namespace ec::rs {

inline constexpr size_t kMaxHtmlBytes = size_t{20} << 20;  // F-RS-18

// The expression for Runtime.evaluate.
std::string page_capture_expression(bool strip_scripts, size_t max_html = kMaxHtmlBytes);

}  // namespace ec::rs
