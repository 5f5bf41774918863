#pragma once
// The live page served at `GET /`: one self-contained HTML document (its style and script
// inline, no external asset, so it works offline and behind any proxy) that polls `status`
// (relative to where it was loaded) every two seconds and draws the job line, the node table
// and one row per rank with its last output lines. Worker output is inserted as text, never as
// markup. Large jobs (over 64 nodes) show counts and the worst nodes; a click on a node lists
// its ranks (`status?node=N`).

#include <string_view>

namespace dlaunch::agent {

std::string_view status_page_html();

}  // namespace dlaunch::agent
