// A request decision allocates nothing once the caller's scratch is warm (global operator new is counted).
#include <gtest/gtest.h>

#include "alloc_counter.h"
#include "gateway/policy.h"
#include "test_support.h"

namespace ec::gw {
namespace {

using testing::TempDir;

TEST(DecideAllocations, WarmDecisionAllocatesNothing) {
    TempDir dir;
    auto r = testing::load_strings(dir, testing::main_yaml(), testing::host_yaml(R"(
    tracking_params:
      params_add: ["sess_*", "~*^ref_"]
    url_rules:
      - match: "/blog/*"
        action: render
      - match: "/search"
        match_query:
          q: "*"
          cat: ["a*", "~^b"]
        action: render
      - match: "~*\\.pdf$"
        action: bypass
      - match: "/gone"
        action: status_410
)"));
    ASSERT_TRUE(r.config) << testing::all_errors(r);
    DecisionScratch scratch;
    scratch.reserve();
    Decision d;
    const char* urls[] = {
        "https://Example.com/blog/post?utm_source=x&b=2&a=1",
        "https://example.com/search?q=shoes&cat=apples&sess_id=9",
        "https://example.com/files/A.PDF",
        "https://example.com/gone",
        "https://example.com/p%2fq/./r?z=%7e&y=1;2",
    };
    const char* uas[] = {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                         "Mozilla/5.0 (Windows NT 10.0) Chrome/120"};
    // Warm up (RE2 builds its DFA lazily) then count.
    for (int round = 0; round < 3; ++round) {
        for (const char* u : urls) {
            for (const char* ua : uas)
                decide(r.config->policy, {u, "key1", true, ua}, scratch, d);
        }
    }
    testing::arm_allocation_counter();
    for (const char* u : urls) {
        for (const char* ua : uas) {
            decide(r.config->policy, {u, "key1", true, ua}, scratch, d);
            EXPECT_TRUE(d.verdict == Verdict::proceed || d.verdict == Verdict::status);
        }
    }
    std::size_t n = testing::disarm_allocation_counter();
    EXPECT_EQ(n, 0u);
}

TEST(DecideAllocations, CounterWorks) {
    testing::arm_allocation_counter();
    auto* p = new int(3);
    std::size_t n = testing::disarm_allocation_counter();
    delete p;
    EXPECT_EQ(n, 1u);
}

}  // namespace
}  // namespace ec::gw
