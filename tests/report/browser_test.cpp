// The HTML report as a browser shows it: each page is rendered by headless
// Chromium (/usr/bin/chromium, installed by scripts/install-deps.sh) and the
// DOM after the page's script ran is checked: one bar per layer, one row per
// trace lane, one rectangle per "X" event, names with markup shown as text,
// and pages for empty, malformed and 50,000-event profiles that still render.
// Fails (not skips) without Chromium: the report's script is untested otherwise.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "npusim/report/profile_html.hpp"

namespace npusim::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kChromium = "/usr/bin/chromium";
// A name that would break the page if anything wrote it as markup.
const std::string kHostile = "a<b & \"c\" </script><b>bold</b>";

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
    ++n;
  return n;
}

// The DOM without its <script> elements, whose source would otherwise count
// as markers and names.
std::string without_scripts(std::string dom) {
  for (size_t at = dom.find("<script"); at != std::string::npos; at = dom.find("<script", at)) {
    const size_t end = dom.find("</script>", at);
    dom.erase(at, end == std::string::npos ? std::string::npos : end + 9 - at);
  }
  return dom;
}

// `s` as Chromium serialises it in a text node.
std::string as_text(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

json layer(int index, const std::string& name, const std::string& op, const std::string& unit,
           double time_us) {
  return {{"index", index},
          {"name", name},
          {"op", op},
          {"unit", unit},
          {"segment", unit == "NPU" ? "npu0" : "cpu0"},
          {"cycles", int(time_us * 2000)},
          {"time_us", time_us},
          {"macs", 1000 * index},
          {"utilisation", 0.25},
          {"dma_bytes", 4096},
          {"reason", unit == "CPU" ? "not supported <yet> & " + name : ""},
          {"start_us", index},
          {"end_us", index + time_us}};
}

json metadata(const std::string& what, int pid, int tid, const std::string& name) {
  json e = {{"ph", "M"}, {"name", what}, {"pid", pid}, {"args", {{"name", name}}}};
  if (what == "thread_name") e["tid"] = tid;
  return e;
}

json complete(const std::string& name, int pid, int tid, double ts, double dur) {
  return {{"ph", "X"},  {"name", name}, {"cat", "run"}, {"pid", pid},
          {"tid", tid}, {"ts", ts},     {"dur", dur},   {"args", {{"request", 0}}}};
}

// Host lanes, two PEs' engine lanes (npu0pe1's "run" lane has no events), a
// lane with events but no names, an instant event and a sort-index record
// that draw nothing.
json trace() {
  json events = {
      metadata("process_name", 1, 0, "host"),
      metadata("thread_name", 1, 1, "host 0"),
      metadata("thread_name", 1, 2, "host 1"),
      metadata("process_name", 2, 0, "npu0pe0"),
      metadata("process_name", 3, 0, kHostile),
      metadata("thread_name", 3, 6, "run"),
      {{"ph", "M"}, {"name", "process_sort_index"}, {"pid", 2}, {"args", {{"sort_index", 1}}}},
      {{"ph", "i"}, {"name", "mark"}, {"pid", 1}, {"tid", 1}, {"ts", 3.0}}};
  const char* engines[] = {"h2d", "run", "d2h"};
  for (int tid = 3; tid <= 5; ++tid)
    events.push_back(metadata("thread_name", 2, tid, engines[tid - 3]));
  for (int r = 0; r < 4; ++r) {
    events.push_back(complete("request " + std::to_string(r), 1, 1 + r % 2, 10.0 * r, 2.0));
    for (int tid = 3; tid <= 5; ++tid)
      events.push_back(complete(r == 2 ? kHostile : engines[tid - 3], 2, tid, 10.0 * r + tid, 1.5));
  }
  events.push_back(complete("orphan", 4, 9, 5.0, 0.0));
  return {{"traceEvents", events}, {"displayTimeUnit", "ns"}};
}

json profile() {
  return {{"model", "models/" + kHostile + ".onnx"},
          {"model_hash", "0123abcd"},
          {"npusim_version", "0.1.0"},
          {"device", "npu0pe0"},
          {"target", "single"},
          {"hw", {{"preset", "warboy"}, {"clock", "2GHz"}}},
          {"stages",
           {{{"name", "compile"},
             {"ms", 12.3},
             {"time_kind", "wall"},
             {"memory", "host peak 80.1 MiB, increase 3.0 MiB"}}}},
          {"summary",
           {{"latency_us", 40.0},
            {"host_us", 5.0},
            {"h2d_us", 10.0},
            {"compute_us", 20.0},
            {"d2h_us", 5.0},
            {"npu_percent", 50.0},
            {"comp_percent", 45.0},
            {"io_percent", 37.5}}},
          {"layers",
           {layer(0, "conv1", "QConv", "NPU", 0.6), layer(1, "relu1", "QRelu", "NPU", 0.1),
            layer(2, kHostile, "Resize", "CPU", 2.4), layer(3, "conv2", "QConv", "NPU", 1.2),
            layer(4, "softmax", "Softmax", "CPU", 0.3)}},
          {"trace", trace()}};
}

// (pid, tid) lanes as the page must draw them: a thread_name or an "X" event.
std::set<std::pair<int, int>> lanes_of(const json& trace) {
  std::set<std::pair<int, int>> lanes;
  for (const json& e : trace["traceEvents"])
    if (e["ph"] == "X" || (e["ph"] == "M" && e["name"] == "thread_name"))
      lanes.emplace(e["pid"].get<int>(), e["tid"].get<int>());
  return lanes;
}

size_t complete_events(const json& trace) {
  size_t n = 0;
  for (const json& e : trace["traceEvents"]) n += e["ph"] == "X";
  return n;
}

// The <rect> of layer `index`'s bar.
std::string layer_bar(const std::string& dom, int index) {
  std::smatch m;
  const std::regex bar("<rect class=\"layer-bar\" data-layer=\"" + std::to_string(index) +
                       "\"[^>]*>");
  return std::regex_search(dom, m, bar) ? m.str() : std::string();
}

// The value of attribute `name` in the tag `tag`.
std::string attribute(const std::string& tag, const std::string& name) {
  std::smatch m;
  return std::regex_search(tag, m, std::regex(" " + name + "=\"([^\"]*)\"")) ? m.str(1) : "";
}

class BrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kChromium))
        << kChromium << " is missing: run scripts/install-deps.sh (it installs chromium)";
    std::string dir = (fs::temp_directory_path() / "npusim-report-XXXXXX").string();
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
  }

  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  // The page's DOM after its script ran, without the scripts. (The
  // 50,000-event page takes about a minute on two cores shared with a
  // full ctest -j2 run; the limit only stops a hung browser.)
  std::string render(const json& profile) {
    const fs::path page = dir_ / "profile.html", log = dir_ / "chromium.log";
    std::ofstream(page) << profile_html(profile);
    const std::string command = "timeout 150 " + kChromium +
                                " --headless --no-sandbox --disable-gpu --user-data-dir='" +
                                (dir_ / "chrome").string() + "' --dump-dom 'file://" +
                                page.string() + "' 2>'" + log.string() + "'";
    std::string dom = run(command);
    EXPECT_NE(dom.find("</html>"), std::string::npos) << command << "\n"
                                                      << std::ifstream(log).rdbuf();
    return without_scripts(dom);
  }

  static std::string run(const std::string& command) {
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return {};
    std::string out;
    char buffer[65536];
    for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
    const int status = pclose(pipe);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command << ": status " << status;
    return out;
  }

  fs::path dir_;
};

TEST_F(BrowserTest, DrawsOneBarPerLayerOneRowPerLaneOneRectPerEvent) {
  const json p = profile();
  const std::string dom = render(p);
  ASSERT_NE(dom.find("data-rendered=\"ok\""), std::string::npos) << dom.substr(0, 4000);

  EXPECT_EQ(count(dom, "class=\"layer-bar\""), p["layers"].size());
  for (int i = 0; i < int(p["layers"].size()); ++i)
    EXPECT_NE(layer_bar(dom, i), "") << "layer " << i;
  const auto lanes = lanes_of(p["trace"]);
  EXPECT_EQ(lanes.size(), 7u);  // host 0, host 1, h2d, run, d2h, idle run, orphan
  EXPECT_EQ(count(dom, "class=\"lane-row\""), lanes.size());
  for (const auto& [pid, tid] : lanes)
    EXPECT_EQ(count(dom, "data-lane=\"" + std::to_string(pid) + ":" + std::to_string(tid) + "\""),
              1u);
  EXPECT_EQ(count(dom, "class=\"trace-event\""), complete_events(p["trace"]));
}

TEST_F(BrowserTest, BarsScaleWithTimeAndTakeTheUnitsColour) {
  const std::string dom = render(profile());
  EXPECT_NE(layer_bar(dom, 2).find("width=\"640.00\""), std::string::npos) << layer_bar(dom, 2);
  EXPECT_NE(layer_bar(dom, 3).find("width=\"320.00\""), std::string::npos) << layer_bar(dom, 3);
  const auto fill = [&](int layer) { return attribute(layer_bar(dom, layer), "fill"); };
  EXPECT_NE(fill(0), "");
  EXPECT_EQ(fill(0), fill(3));  // NPU
  EXPECT_EQ(fill(2), fill(4));  // CPU
  EXPECT_NE(fill(0), fill(2));
}

TEST_F(BrowserTest, LabelsLanesAsProcessSlashThread) {
  const std::string dom = render(profile());
  for (const std::string& label :
       {std::string("host / host 0"), std::string("host / host 1"), std::string("npu0pe0 / run"),
        std::string("npu0pe0 / d2h"), std::string("pid 4 / tid 9"), kHostile + " / run"})
    EXPECT_NE(dom.find(">" + as_text(label) + "<"), std::string::npos) << label;
}

TEST_F(BrowserTest, NamesWithMarkupAreShownAsText) {
  const std::string dom = render(profile());
  // Layer table and tooltip, process label, trace event titles.
  EXPECT_GE(count(dom, as_text(kHostile)), 4u);
  EXPECT_EQ(count(dom, "<b>"), 0u);
  EXPECT_NE(dom.find(as_text("not supported <yet> & ")), std::string::npos);
}

TEST_F(BrowserTest, ShowsSummaryStagesAndHardware) {
  const std::string dom = render(profile());
  for (const char* text : {"npu0pe0", "warboy", "2GHz", "compile", "12.30",
                           "host peak 80.1 MiB, increase 3.0 MiB", "40.00", "50.0%", "37.5%"})
    EXPECT_NE(dom.find(text), std::string::npos) << text;
  EXPECT_EQ(count(dom, "class=\"latency-part\""), 4u);
}

TEST_F(BrowserTest, TimelineComesRightAfterTheSummaryWithTheHardwareFolded) {
  const std::string dom = render(profile());
  const size_t summary = dom.find("id=\"summary-section\""),
               timeline = dom.find("id=\"timeline-section\""),
               layers = dom.find("id=\"layers-section\"");
  ASSERT_NE(timeline, std::string::npos);
  EXPECT_LT(summary, timeline);
  EXPECT_LT(timeline, layers) << "the layer chart (one bar per layer) comes after the timeline";
  // The hardware parameters are inside a closed <details>, not a long table above the timeline.
  const size_t details = dom.find("<details id=\"hardware\">");
  ASSERT_NE(details, std::string::npos);
  EXPECT_LT(details, dom.find("2GHz"));
  EXPECT_LT(dom.find("2GHz"), dom.find("</details>"));
}

// npusim debug's per-layer accuracy (profile --accuracy, debug --html): one
// bar per layer as long as its SQNR, red where the codes differ; without it
// the section stays hidden.
TEST_F(BrowserTest, DrawsOneSqnrBarPerLayerWhenTheProfileHasAccuracy) {
  json p = profile();
  const std::string plain = render(p);
  EXPECT_NE(plain.find("<section id=\"accuracy-section\" hidden=\"\">"), std::string::npos);
  EXPECT_EQ(count(plain, "class=\"sqnr-bar\""), 0u);
  auto layer = [](int index, double sqnr, double exact) {
    return json{{"index", index},
                {"node", "conv" + std::to_string(index)},
                {"op", "QConv"},
                {"unit", "NPU"},
                {"reference", {{"exact_percent", exact}, {"within_1_percent", 100.0}}},
                {"fp32", {{"sqnr_db", sqnr}, {"cosine", 0.99}}}};
  };
  p["accuracy"] = {{"against", "reference executor"},
                   {"layers", {layer(1, 30.0, 100.0), layer(2, 15.0, 99.5), layer(3, 30.0, 100)}},
                   {"first_reference_difference", {{"index", 2}, {"text", "layer 2 'conv2'"}}}};
  const std::string dom = render(p);
  ASSERT_NE(dom.find("data-rendered=\"ok\""), std::string::npos) << dom.substr(0, 4000);
  EXPECT_EQ(dom.find("<section id=\"accuracy-section\" hidden"), std::string::npos);
  EXPECT_EQ(count(dom, "class=\"sqnr-bar\""), 3u);
  std::vector<std::string> bars;
  const std::regex bar("<rect class=\"sqnr-bar\"[^>]*>");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), bar); it != std::sregex_iterator();
       ++it)
    bars.push_back(it->str());
  ASSERT_EQ(bars.size(), 3u);
  EXPECT_DOUBLE_EQ(std::stod(attribute(bars[0], "width")),
                   2 * std::stod(attribute(bars[1], "width")));
  EXPECT_EQ(attribute(bars[1], "fill"), "#d62728");  // codes differ
  EXPECT_EQ(attribute(bars[0], "fill"), "#3b7dd8");
  EXPECT_NE(dom.find("first difference layer 2 'conv2'"), std::string::npos);
}

TEST_F(BrowserTest, EmptyAndMalformedProfilesRender) {
  const json malformed = {{"model", 7},
                          {"hw", 5},
                          {"stages", {1, nullptr}},
                          {"summary", json::array()},
                          {"layers", "oops"},
                          {"trace", {{"traceEvents", {{"a", 1}}}}}};
  for (const json& p : {json::object(), json(), malformed}) {
    const std::string dom = render(p);
    EXPECT_NE(dom.find("data-rendered=\"ok\""), std::string::npos) << p << "\n" << dom;
    EXPECT_EQ(count(dom, "class=\"layer-bar\""), 0u);
    EXPECT_EQ(count(dom, "class=\"lane-row\""), 0u);
  }
}

TEST_F(BrowserTest, FiftyThousandEventsLoad) {
  json events = json::array();
  for (int pe = 0; pe < 4; ++pe)
    events.push_back(metadata("process_name", pe + 1, 0, "npu0pe" + std::to_string(pe)));
  constexpr int kEvents = 50000;
  for (int i = 0; i < kEvents; ++i)
    events.push_back(complete(i % 2 ? "run" : "h2d", 1 + i % 4, 1 + i % 8, 0.5 * i, 0.4));
  const std::string dom = render({{"trace", {{"traceEvents", events}}}});
  ASSERT_NE(dom.find("data-rendered=\"ok\""), std::string::npos) << dom.substr(0, 4000);
  EXPECT_EQ(count(dom, "class=\"trace-event\""), size_t(kEvents));
  EXPECT_EQ(count(dom, "class=\"lane-row\""), 8u);
}

}  // namespace
}  // namespace npusim::report
