#include "gateway/duration.h"

#include <gtest/gtest.h>

namespace ec::gw {
namespace {

using namespace std::chrono_literals;

TEST(Duration, GoSyntax) {
    EXPECT_EQ(parse_duration("0"), Duration(0));
    EXPECT_EQ(parse_duration("120s"), Duration(120s));
    EXPECT_EQ(parse_duration("1h30m"), Duration(90min));
    EXPECT_EQ(parse_duration("500ms"), Duration(500ms));
    EXPECT_EQ(parse_duration("1.5s"), Duration(1500ms));
    EXPECT_EQ(parse_duration("-2s"), Duration(-2s));
    EXPECT_EQ(parse_duration("10us"), Duration(10us));
    EXPECT_EQ(parse_duration("10\xC2\xB5s"), Duration(10us));
    EXPECT_EQ(parse_duration("3ns"), Duration(3));
    EXPECT_EQ(parse_duration(".5h"), Duration(30min));
}

TEST(Duration, ExtendedDaysAndWeeks) {
    EXPECT_EQ(parse_duration("7d"), Duration(168h));
    EXPECT_EQ(parse_duration("2w"), Duration(336h));
    EXPECT_EQ(parse_duration("1.5d"), Duration(36h));
    EXPECT_EQ(parse_duration("-1d"), Duration(-24h));
}

TEST(Duration, Rejects) {
    std::string err;
    EXPECT_FALSE(parse_duration("30", &err));
    EXPECT_NE(err.find("invalid duration \"30\""), std::string::npos);
    EXPECT_FALSE(parse_duration(""));
    EXPECT_FALSE(parse_duration("abc"));
    EXPECT_FALSE(parse_duration("1d2h"));  // extended suffixes are single-unit only
    EXPECT_FALSE(parse_duration("5x"));
    EXPECT_FALSE(parse_duration("1.d"));
}

TEST(Duration, GoStringForm) {
    EXPECT_EQ(go_duration_string(0s), "0s");
    EXPECT_EQ(go_duration_string(30s), "30s");
    EXPECT_EQ(go_duration_string(1h), "1h0m0s");
    EXPECT_EQ(go_duration_string(90min), "1h30m0s");
    EXPECT_EQ(go_duration_string(1500ms), "1.5s");
    EXPECT_EQ(go_duration_string(500ms), "500ms");
    EXPECT_EQ(go_duration_string(2us), "2\xC2\xB5s");
    EXPECT_EQ(go_duration_string(Duration(7)), "7ns");
    EXPECT_EQ(go_duration_string(-2s), "-2s");
    EXPECT_EQ(go_duration_string(168h), "168h0m0s");
}

}  // namespace
}  // namespace ec::gw
