// NetworkIdleDetector (renderer/src/chrome_idle.h): Chrome's networkIdle /
// networkAlmostIdle definitions computed from Network events. I/O-free.
#include <gtest/gtest.h>

#include <string>

#include "chrome_idle.h"

namespace ec::rs {
namespace {

constexpr uint64_t kWindow = NetworkIdleDetector::kQuietWindowMs;

TEST(NetworkIdle, NothingBeforeDomContentLoaded) {
    NetworkIdleDetector d;
    EXPECT_FALSE(d.idle_at(0).has_value());
    d.on_request("s", "1", 10);
    d.on_done("s", "1", 20);
    EXPECT_FALSE(d.idle_at(0).has_value()) << "the main document alone does not start the window";
    d.on_dom_content_loaded(100);
    ASSERT_TRUE(d.idle_at(0).has_value());
    EXPECT_EQ(*d.idle_at(0), 100 + kWindow) << "the window starts at DOMContentLoaded, not earlier";
}

TEST(NetworkIdle, WindowRestartsWhenTheLastRequestFinishes) {
    NetworkIdleDetector d;
    d.on_dom_content_loaded(100);
    d.on_request("s", "a", 300);  // inside the window: idle is off
    EXPECT_FALSE(d.idle_at(0).has_value());
    d.on_request("s", "b", 350);
    d.on_done("s", "a", 700);
    EXPECT_FALSE(d.idle_at(0).has_value()) << "one request still in flight";
    d.on_done("s", "b", 900);
    ASSERT_TRUE(d.idle_at(0).has_value());
    EXPECT_EQ(*d.idle_at(0), 900 + kWindow);
    EXPECT_EQ(d.in_flight(), 0u);
}

TEST(NetworkIdle, RedirectHopsAreOneRequestAndUnknownEndsAreIgnored) {
    NetworkIdleDetector d;
    d.on_dom_content_loaded(0);
    d.on_request("s", "r", 10);
    d.on_request("s", "r", 20);  // requestWillBeSent again for the redirect hop
    EXPECT_EQ(d.in_flight(), 1u);
    d.on_done("s", "never-seen", 30);  // e.g. a request from before the navigation
    EXPECT_FALSE(d.idle_at(0).has_value());
    d.on_done("s", "r", 40);
    EXPECT_EQ(*d.idle_at(0), 40 + kWindow);
}

TEST(NetworkIdle, SessionsAreSeparateAndAGoneWorkerReleasesItsRequests) {
    NetworkIdleDetector d;
    d.on_dom_content_loaded(0);
    d.on_request("page", "7", 10);
    d.on_request("worker", "7", 11);  // same id in another session: another request
    EXPECT_EQ(d.in_flight(), 2u);
    d.on_done("page", "7", 50);
    EXPECT_FALSE(d.idle_at(0).has_value());
    d.forget_session("worker", 80);
    ASSERT_TRUE(d.idle_at(0).has_value());
    EXPECT_EQ(*d.idle_at(0), 80 + kWindow);
}

TEST(NetworkIdle, AlmostIdleToleratesTwoRequests) {
    NetworkIdleDetector d;
    d.on_dom_content_loaded(100);
    d.on_request("s", "1", 110);
    d.on_request("s", "2", 120);
    ASSERT_TRUE(d.idle_at("networkAlmostIdle").has_value());
    EXPECT_EQ(*d.idle_at("networkAlmostIdle"), 100 + kWindow) << "two in flight never left the ≤2 state";
    EXPECT_FALSE(d.idle_at("networkIdle").has_value());
    d.on_request("s", "3", 200);  // three: over the threshold
    EXPECT_FALSE(d.idle_at("networkAlmostIdle").has_value());
    d.on_done("s", "1", 400);
    EXPECT_EQ(*d.idle_at("networkAlmostIdle"), 400 + kWindow);
    d.on_request("s", "4", 450);  // back to three
    d.on_done("s", "4", 460);     // and two again: a new window
    EXPECT_EQ(*d.idle_at("networkAlmostIdle"), 460 + kWindow);
    d.on_done("s", "2", 470);  // changes under the threshold keep the window
    EXPECT_EQ(*d.idle_at("networkAlmostIdle"), 460 + kWindow);
    EXPECT_FALSE(d.idle_at("load").has_value()) << "only the two network events are computed";
}

TEST(NetworkIdle, ANewDocumentWaitsForItsOwnDomContentLoaded) {
    NetworkIdleDetector d;
    d.on_dom_content_loaded(100);
    EXPECT_TRUE(d.idle_at(0).has_value());
    d.on_new_document();  // a JS navigation committed
    EXPECT_FALSE(d.idle_at(0).has_value());
    d.on_dom_content_loaded(800);
    EXPECT_EQ(*d.idle_at(0), 800 + kWindow);
}

TEST(NetworkIdle, TooManyRequestsLeaveTheDecisionToChrome) {
    NetworkIdleDetector d;
    d.on_dom_content_loaded(0);
    for (size_t i = 0; i <= NetworkIdleDetector::kMaxInFlight; ++i)
        d.on_request("s", std::to_string(i), 1);
    for (size_t i = 0; i <= NetworkIdleDetector::kMaxInFlight; ++i)
        d.on_done("s", std::to_string(i), 2);
    EXPECT_FALSE(d.idle_at(0).has_value());
    EXPECT_FALSE(d.idle_at(2).has_value());
}

}  // namespace
}  // namespace ec::rs
