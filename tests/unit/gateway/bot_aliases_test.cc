#include "gateway/bot_aliases.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "gateway/pattern.h"

namespace ec::gw {
namespace {

TEST(BotAliases, TableIsGeneratedFromTheDataFile) {
    EXPECT_EQ(bot_aliases().size(), 20u);
    ASSERT_NE(find_bot_alias("Socials"), nullptr);
    EXPECT_EQ(find_bot_alias("Socials")->patterns.size(), 4u);
    EXPECT_EQ(find_bot_alias("Messengers")->patterns.front(), "*WhatsApp/*");
    EXPECT_EQ(find_bot_alias("Nope"), nullptr);
}

TEST(BotAliases, EveryPatternCompiles) {
    for (const auto& a : bot_aliases()) {
        for (auto p : a.patterns) {
            if (p.starts_with("$")) continue;
            std::string err;
            EXPECT_TRUE(Pattern::compile(p, &err)) << a.name << ": " << err;
        }
    }
}

TEST(BotAliases, CompositeExpandsOneLevel) {
    std::vector<std::string> out;
    ASSERT_TRUE(expand_bot_aliases({"$SearchBots"}, out, nullptr));
    std::size_t expected = find_bot_alias("GooglebotSearchDesktop")->patterns.size() +
                           find_bot_alias("GooglebotSearchMobile")->patterns.size() +
                           find_bot_alias("BingbotDesktop")->patterns.size() +
                           find_bot_alias("BingbotMobile")->patterns.size();
    EXPECT_EQ(out.size(), expected);
    EXPECT_TRUE(
        std::none_of(out.begin(), out.end(), [](const std::string& s) { return s.starts_with("$"); }));
    ASSERT_TRUE(expand_bot_aliases({"$AIBots", "*Custom*"}, out, nullptr));
    EXPECT_EQ(out.back(), "*Custom*");
    EXPECT_TRUE(std::find(out.begin(), out.end(), "*AMZN-User/*") !=
                out.end());  // $AIBots includes $AmazonUser
}

TEST(BotAliases, UnknownAliasesAreAllReportedWithHint) {
    std::vector<std::string> out;
    std::string err;
    EXPECT_FALSE(expand_bot_aliases({"$Nope"}, out, &err));
    EXPECT_NE(err.find("unknown bot alias \"$Nope\""), std::string::npos);
    EXPECT_NE(
        err.find("available aliases: $AIBots, $AmazonUser, $Amazonbot, $AnthropicBot, $AnthropicSearchBot"),
        std::string::npos)
        << err;
    EXPECT_NE(err.find("... and 15 more"), std::string::npos);
    EXPECT_FALSE(expand_bot_aliases({"$A", "$B"}, out, &err));
    EXPECT_NE(err.find("unknown bot aliases \"$A\", \"$B\""), std::string::npos);
}

TEST(BotAliases, RealUserAgentsMatch) {
    auto matches = [](std::string_view alias, std::string_view ua) {
        std::vector<std::string> out;
        expand_bot_aliases({"$" + std::string(alias)}, out, nullptr);
        return std::any_of(out.begin(), out.end(),
                           [&](const std::string& p) { return Pattern::compile(p)->matches(ua); });
    };
    EXPECT_TRUE(matches("GooglebotSearchDesktop",
                        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; "
                        "+http://www.google.com/bot.html) Chrome/131.0.6778.69 Safari/537.36"));
    EXPECT_TRUE(
        matches("GooglebotSearchMobile",
                "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like "
                "Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
                "+http://www.google.com/bot.html)"));
    EXPECT_TRUE(matches("AnthropicBot", "Mozilla/5.0 (compatible; ClaudeBot/1.0; +claudebot@anthropic.com)"));
    EXPECT_TRUE(matches("ChatGPTTrainingBot",
                        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
                        "+https://openai.com/gptbot)"));
    EXPECT_TRUE(matches("Socials", "facebookexternalhit/1.1"));
    EXPECT_FALSE(
        matches("SearchBots", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36"));
}

}  // namespace
}  // namespace ec::gw
