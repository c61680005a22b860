// profile_html without a browser: the page is self-contained and the profile
// JSON embedded in it parses back to the profile, with no "</script>" (or any
// '<') that could end its script element early. The page's script itself is
// tested in headless Chromium (browser_test.cpp).
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "npusim/report/profile_html.hpp"

namespace npusim::report {
namespace {

const std::string kDataOpen = R"(<script id="profile-data" type="application/json">)";

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
    ++n;
  return n;
}

// The text between the data script's tags.
std::string embedded_json(const std::string& page) {
  const size_t begin = page.find(kDataOpen);
  if (begin == std::string::npos) return {};
  const size_t from = begin + kDataOpen.size();
  return page.substr(from, page.find("</script>", from) - from);
}

nlohmann::json hostile_profile() {
  return {{"model", "m</script><script>alert(1)</script>.onnx"},
          {"layers", {{{"index", 0}, {"name", "a<b & \"c\" <!-- </SCRIPT>"}, {"unit", "CPU"}}}}};
}

TEST(ProfileHtml, EmbeddedJsonParsesBackToTheProfile) {
  for (const nlohmann::json& profile : {nlohmann::json::object(), hostile_profile()}) {
    const std::string page = profile_html(profile);
    EXPECT_EQ(nlohmann::json::parse(embedded_json(page)), profile);
  }
}

TEST(ProfileHtml, EmbeddedJsonHasNoAngleBrackets) {
  const std::string json = embedded_json(profile_html(hostile_profile()));
  EXPECT_EQ(json.find('<'), std::string::npos) << json;
  EXPECT_EQ(json.find('>'), std::string::npos) << json;
  EXPECT_NE(json.find("\\u003c/script\\u003e"), std::string::npos) << json;
  // The data script and the page's script: no other element ends.
  EXPECT_EQ(count(profile_html(hostile_profile()), "</script>"), 2u);
}

TEST(ProfileHtml, PageNeedsNoNetwork) {
  const std::string page = profile_html(hostile_profile());
  for (const char* fetch : {"<link", " src=", "@import", "url(", "<iframe", "<img"})
    EXPECT_EQ(page.find(fetch), std::string::npos) << fetch;
}

TEST(ProfileHtml, InvalidUtf8InNamesIsReplacedNotThrown) {
  const nlohmann::json profile = {{"model", "bad \xff byte"}};
  std::string page;
  ASSERT_NO_THROW(page = profile_html(profile));
  EXPECT_EQ(nlohmann::json::parse(embedded_json(page))["model"], "bad \xEF\xBF\xBD byte");
}

}  // namespace
}  // namespace npusim::report
