// SPDX-License-Identifier: Apache-2.0
// inspect --html: one self-contained page (no network): totals, a sortable
// table, and per tensor an SVG histogram with the uint8 grid drawn over it,
// so a user can see how many of the 256 levels the values actually land on.
#include <fmt/format.h>

#include <cmath>

#include "inspect_report.h"

namespace tfq::cli {
namespace {

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Sort key for a dB cell: exact (infinite) sorts above every number.
std::string DbKey(double db) { return std::isinf(db) ? (db > 0 ? "1e9" : "-1e9") : fmt::format("{:.3f}", db); }

std::string Histogram(const TensorStats& t, size_t id) {
  constexpr double W = 320, H = 56;
  uint64_t peak = 1;
  for (auto c : t.histogram) peak = std::max(peak, c);
  std::string path;
  const double bw = W / static_cast<double>(t.histogram.size());
  for (size_t b = 0; b < t.histogram.size(); ++b) {
    if (!t.histogram[b]) continue;
    // sqrt scale: small bins stay visible next to a tall zero bin.
    double h = std::max(1.0, H * std::sqrt(static_cast<double>(t.histogram[b]) / static_cast<double>(peak)));
    path += fmt::format("M{:.1f} {:.1f}h{:.1f}V{:.0f}h{:.1f}Z", b * bw, H - h, bw, H, -bw);
  }
  std::string grid;
  const double range = t.max - t.min;
  if (range > 0 && t.uint8_params.scale > 0 && !t.uint8_params.constant) {
    // One grid line per uint8 code, as an SVG pattern: tiny whatever the count.
    const double step = t.uint8_params.scale / range * W;
    const double x0 = (t.uint8_params.min - t.min) / range * W;
    grid = fmt::format(
        "<defs><pattern id=\"g{0}\" patternUnits=\"userSpaceOnUse\" x=\"{1:.4f}\" width=\"{2:.6f}\" height=\"{3}\">"
        "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"{3}\" stroke=\"#d33\" stroke-width=\"{4:.3f}\" stroke-opacity=\"0.55\"/>"
        "</pattern></defs><rect class=\"grid\" x=\"0\" y=\"0\" width=\"{5}\" height=\"{3}\" fill=\"url(#g{0})\"/>",
        id, x0, step, H, std::min(1.0, step * 0.5), W);
  }
  return fmt::format(
      "<svg class=\"hist\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\" "
      "aria-label=\"histogram of {2}\">{3}<path d=\"{4}\" fill=\"#3567b5\" fill-opacity=\"0.8\"/>"
      "<text x=\"2\" y=\"10\">{5:.4g}</text><text x=\"{0}\" y=\"10\" text-anchor=\"end\">{6:.4g}</text></svg>",
      W, H, Escape(t.name), grid, path, t.min, t.max);
}

constexpr const char* kStyle = R"(
body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:18px} table{border-collapse:collapse} td,th{padding:3px 6px;border-bottom:1px solid #ddd;vertical-align:middle}
th{background:#f3f3f3;cursor:pointer;position:sticky;top:0;text-align:left} th:hover{background:#e6e6e6}
td.n{text-align:right;font-variant-numeric:tabular-nums} .high{background:#fde2e2} .medium{background:#fff4d6}
.hist text{font-size:9px;fill:#555} .name{max-width:340px;overflow-wrap:anywhere} .legend{color:#555;margin:8px 0}
)";

constexpr const char* kScript = R"(
document.querySelectorAll('#tensors th').forEach(function(th, col){
  th.addEventListener('click', function(){
    var tbody = document.querySelector('#tensors tbody');
    var rows = Array.prototype.slice.call(tbody.rows);
    var dir = th.dataset.dir === 'asc' ? -1 : 1; th.dataset.dir = dir === 1 ? 'asc' : 'desc';
    rows.sort(function(a, b){
      var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
      var nx = parseFloat(x), ny = parseFloat(y);
      if (!isNaN(nx) && !isNaN(ny)) return dir * (nx - ny);
      return dir * String(x).localeCompare(String(y));
    });
    rows.forEach(function(r){ tbody.appendChild(r); });
  });
});
)";

}  // namespace

std::string RenderHtml(const InspectView& v) {
  const auto& r = v.report;
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tfjs-quant inspect: " +
                    Escape(v.model_path) + "</title><style>" + kStyle + "</style></head><body>\n";
  out += "<h1>tfjs-quant inspect: " + Escape(v.model_path) + "</h1>\n";
  out += fmt::format("<p>{} weights ({})</p>\n", r.tensors.size(), Escape(v.format));
  out += "<table id=\"totals\"><thead><tr><th>size</th><th>bytes</th><th>gzip</th><th>brotli</th></tr></thead><tbody>\n";
  const char* names[] = {"as stored", "all uint8", "all uint16", "all float16"};
  for (size_t k = 0; k < kNumVariants; ++k) {
    out += fmt::format("<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                       names[k], Grouped(v.totals[k].bytes), Grouped(v.totals[k].gzip), Grouped(v.totals[k].brotli));
  }
  out += "</tbody></table>\n<p class=\"legend\">SQNR in dB: higher is better; \"exact\" means the decode is lossless. "
         "Worst ch: the output channel with the lowest uint8 SQNR. Histogram: values over [min, max] (square-root "
         "height); red lines: the 256 uint8 levels. Click a column to sort.</p>\n";
  const bool with_auto = !v.auto_choice.empty();
  if (with_auto) out += "<p id=\"auto-summary\"><b>auto:</b> " + Escape(v.auto_summary) + "</p>\n";
  out += "<table id=\"tensors\"><thead><tr><th>risk</th><th>name</th><th>shape</th><th>stored</th><th>bytes</th>"
         "<th>uint8 dB</th><th>worst ch dB</th><th>uint16 dB</th><th>float16 dB</th><th>levels</th>"
         "<th>histogram</th><th>reason</th>" +
         std::string(with_auto ? "<th>auto</th><th>auto: why</th>" : "") + "</tr></thead><tbody>\n";
  size_t id = 0;
  for (size_t i : RiskOrder(r)) {
    const auto& t = r.tensors[i];
    const std::string shape = ShapeText(t.shape);
    const bool measured = t.quantizable && t.elements > 0 && t.nan_count + t.inf_count == 0;
    auto db = [&](double x) {
      return measured ? fmt::format("<td class=\"n\" data-v=\"{}\">{}</td>", DbKey(x), Db(x))
                      : std::string("<td class=\"n\" data-v=\"1e10\">-</td>");
    };
    std::string stored = t.stored == Encoding::kRaw ? std::string(DTypeName(t.dtype)) : std::string(EncodingName(t.stored));
    out += fmt::format("<tr class=\"{0}\"><td data-v=\"{1}\">{0}</td><td class=\"name\" data-v=\"{2}\">{2}</td>"
                       "<td data-v=\"{3}\">{4}</td><td data-v=\"{5}\">{5}</td><td class=\"n\" data-v=\"{6}\">{7}</td>",
                       RiskName(t.risk), 3 - static_cast<int>(t.risk), Escape(t.name), t.elements, shape, stored,
                       t.stored_bytes, Grouped(t.stored_bytes));
    out += db(t.uint8.sqnr_db) + db(t.channels > 1 ? t.uint8.worst_channel_sqnr_db : t.uint8.sqnr_db) +
           db(t.uint16.sqnr_db) + db(t.float16.sqnr_db);
    out += fmt::format("<td class=\"n\" data-v=\"{0}\">{0}</td>", measured ? t.uint8_levels_used : 0);
    out += "<td data-v=\"" + std::to_string(i) + "\">" + (t.quantizable && t.elements ? Histogram(t, id++) : "") + "</td>";
    out += "<td data-v=\"" + Escape(t.reason) + "\">" + Escape(t.reason) + "</td>";
    if (with_auto && i < v.auto_choice.size()) {
      out += "<td class=\"auto\" data-v=\"" + Escape(v.auto_choice[i]) + "\">" + Escape(v.auto_choice[i]) + "</td><td data-v=\"" +
             Escape(v.auto_why[i]) + "\">" + Escape(v.auto_why[i]) + "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody></table>\n<script>" + std::string(kScript) + "</script>\n</body></html>\n";
  return out;
}

}  // namespace tfq::cli
