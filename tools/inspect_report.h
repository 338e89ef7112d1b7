// SPDX-License-Identifier: Apache-2.0
// The inspect report in the tool: a terminal table and a self-contained
// HTML page (the JSON form is the library's RenderInspectJson).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "cli_common.h"
#include "tfjs_quant/report.h"

namespace tfq::cli {

// The library's report (tfjs_quant/report.h) over an opened model, with a
// progress bar on a terminal for large models.
Result<InspectView> InspectOpened(const OpenedModel& in, bool wire);

std::string RenderText(const InspectView& v, bool all, bool color);
std::string RenderHtml(const InspectView& v);

}  // namespace tfq::cli
