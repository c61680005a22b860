// npusim plot on a real sweep: latency and throughput against each swept
// parameter, a per-layer roofline per mode, the modes side by side, as PNG
// and SVG, and one self-contained page that headless Chromium renders with
// every plot and a row per point. Fails (not skips) without Chromium or
// matplotlib (scripts/install-deps.sh installs both).
#include <array>
#include <memory>

#include "common/read_file.hpp"
#include "sweep_fixture.hpp"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class PlotTest : public SweepTest {};

TEST_F(PlotTest, PlotsAndAPageThatRendersInChromium) {
  const std::string spec = write(
      "p.yaml", "models:\n  - {path: " + quantized_blazeface() + ", name: blazeface}\n" +
                    "modes: [single, fused, two-pe]\nqueries: 2\ncache_dir: " + path("cache") +
                    "\ngrid:\n  sram_per_pe: [1MiB, 4MiB]\n  dram_bandwidth: [16.5GB/s, 66GB/s]\n");
  CommandResult r = npusim("sweep " + spec + " --db " + path("p.sqlite"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = npusim("plot " + path("p.sqlite") + " -o " + path("plots"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::vector<std::string> plots = {
      "latency_vs_sram_per_pe",    "throughput_vs_sram_per_pe",
      "latency_vs_dram_bandwidth", "throughput_vs_dram_bandwidth",
      "roofline_blazeface_single", "roofline_blazeface_fused",
      "roofline_blazeface_two-pe", "modes_blazeface"};
  for (const auto& p : plots) {
    const std::string png = read_file(path("plots/" + p + ".png"));
    EXPECT_EQ(png.substr(0, 8), "\x89PNG\r\n\x1a\n") << p;
    EXPECT_NE(read_file(path("plots/" + p + ".svg")).find("<svg"), std::string::npos) << p;
  }
  // The roofline names its roof and the layer types it colours.
  const std::string roofline = read_file(path("plots/roofline_blazeface_single.svg"));
  for (const char* text : {"roof", "QConv", "MACs per DRAM byte", "dram_bandwidth=16.5GB/s"})
    EXPECT_NE(roofline.find(text), std::string::npos) << text;
  EXPECT_NE(read_file(path("plots/latency_vs_dram_bandwidth.svg")).find("sram_per_pe=4MiB"),
            std::string::npos);

  ASSERT_TRUE(fs::exists("/usr/bin/chromium")) << "run scripts/install-deps.sh";
  const std::string cmd =
      "timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu "
      "--user-data-dir=" +
      path("chromium") + " --dump-dom file://" + path("plots/index.html") + " 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  std::string dom;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe.get())) dom.append(buf.data(), n);
  ASSERT_EQ(WEXITSTATUS(pclose(pipe.release())), 0);
  EXPECT_EQ(count(dom, "<figure class=\"plot\""), plots.size());
  for (const auto& p : plots)
    EXPECT_NE(dom.find("data-plot=\"" + p + "\"><svg"), std::string::npos) << p;
  EXPECT_EQ(count(dom, "class=\"point-row\""), 12u);
  EXPECT_NE(dom.find("12 points (12 ok)"), std::string::npos);
  // Self-contained: nothing loaded from elsewhere but the figures' own PNG/SVG links.
  EXPECT_EQ(dom.find("src=\"http"), std::string::npos);
  EXPECT_EQ(dom.find("<script src"), std::string::npos);
}

}  // namespace
}  // namespace npusim::testing
