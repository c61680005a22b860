// The HTML report of `npusim profile`: one self-contained page (inline CSS,
// JavaScript and SVG, the profile JSON embedded; nothing is fetched) that shows
// the summary, a per-layer bar chart and table, the trace's timeline and,
// when the profile has "accuracy" (npusim debug --json), a per-layer SQNR
// chart and table.
// Separate from the command line so it can be tested in a headless browser
// (tests/report) without running a model. docs/profile.md describes the page.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace npusim::report {

// The page for `profile`, shaped as `npusim profile -o` writes it (model,
// device, hw, stages, summary, layers, trace). Every field may be missing or
// of the wrong type: the page then leaves that part out or empty. The charts
// are drawn by the page's script at load time, which marks the body with
// data-rendered="ok" when done (or "error", with the message shown).
std::string profile_html(const nlohmann::json& profile);

}  // namespace npusim::report
