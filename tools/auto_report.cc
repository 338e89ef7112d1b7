// SPDX-License-Identifier: Apache-2.0
#include "auto_report.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "cli_common.h"

namespace tfq::cli {
namespace {

using nlohmann::ordered_json;

double Pct(uint64_t part, uint64_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 100.0;
}

std::string MetricsText(const AutoView& v, const Metrics& m) {
  return DescribeMetrics(v.budget, m) + (Holds(v.budget, m) ? "" : " (outside the budget)");
}

// JSON has no infinity: an exact SQNR is the string "exact".
ordered_json Number(double x) {
  if (std::isinf(x)) return x > 0 ? ordered_json("exact") : ordered_json("-inf");
  if (std::isnan(x)) return nullptr;
  return x;
}

ordered_json MetricsJson(const AutoView& v, const Metrics& m) {
  ordered_json j = {{"sqnr_db", Number(m.sqnr_db)},
                    {"cosine", Number(m.cosine)},
                    {"maxabs", Number(m.max_abs)},
                    {"top1", Number(m.top1)}};
  if (m.score) j["score"] = Number(*m.score);
  j["non_finite"] = m.non_finite;
  j["holds"] = Holds(v.budget, m);
  return j;
}

}  // namespace

std::string ChoiceLabel(const SearchTensor& t, Target target) {
  if (!t.searchable) return "kept";
  switch (target) {
    case Target::kUint8: return "uint8";
    case Target::kUint16: return "uint16";
    case Target::kFloat16: return "float16";
    case Target::kRaw: return "float32";
    case Target::kKeep: return t.stored == Encoding::kRaw ? "float32" : "kept " + std::string(EncodingName(t.stored));
  }
  return "?";
}

std::string AutoSummary(const AutoView& v) {
  const auto& r = v.result;
  return fmt::format("budget {}: chose {} bytes ({:.1f}% of float32), written model measured {}; {} evaluations, {} "
                     "inferences",
                     v.budget_text, Grouped(v.bytes_chosen), Pct(v.bytes_chosen, v.bytes_float32),
                     MetricsText(v, v.final_metrics), r.evaluations,
                     v.inputs ? std::to_string(r.inferences) : std::string("n/a"));
}

std::string RenderAutoText(const AutoView& v) {
  const auto& r = v.result;
  std::string out = fmt::format("auto {} -> {}\n  budget: {}\n  evaluator: {}\n", v.model_path, v.out_path,
                                v.budget_text, v.evaluator);
  if (v.inputs) {
    out += fmt::format("  inputs: {} per evaluation", v.inputs);
    // Names come from the model: shown escaped, and not all of thousands.
    for (size_t k = 0; k < v.input_desc.size() && k < 20; ++k) out += "; " + Printable(v.input_desc[k], 200);
    if (v.input_desc.size() > 20) out += fmt::format("; and {} more", v.input_desc.size() - 20);
    out += "\n  guarded outputs: ";
    for (size_t k = 0; k < v.outputs.size() && k < 20; ++k) out += (k ? ", " : "") + Printable(v.outputs[k], 120);
    if (v.outputs.size() > 20) out += fmt::format(", and {} more", v.outputs.size() - 20);
    out += "\n";
  }
  size_t width = 24;
  for (const auto& t : v.tensors) width = std::max(width, std::min<size_t>(ClipName(t.name, 60).size(), 60));
  out += fmt::format("\n  {:<{}} {:>10}  {:<8} {}\n", "tensor", width, "elements", "choice", "why (measured effect)");
  for (size_t i = 0; i < v.tensors.size(); ++i) {
    const auto& t = v.tensors[i];
    const auto& c = r.choices[i];
    out += fmt::format("  {:<{}} {:>10}  {:<8} {}\n", ClipName(t.name, 60), width, Grouped(t.elements), ChoiceLabel(t, r.plan[i]),
                       c.why);
  }
  out += fmt::format("\n  {:<22} {:>14} {:>11}  {}\n", "weights", "bytes", "of float32", "measured");
  out += fmt::format("  {:<22} {:>14} {:>10.1f}%  {}\n", "float32", Grouped(v.bytes_float32), 100.0,
                     v.budget.uses_score() ? "" : "exact (the reference)");
  out += fmt::format("  {:<22} {:>14} {:>10.1f}%  {}\n", "all float16", Grouped(v.bytes_float16),
                     Pct(v.bytes_float16, v.bytes_float32),
                     r.all_float16 ? MetricsText(v, *r.all_float16) : std::string("not measured (--compare)"));
  out += fmt::format("  {:<22} {:>14} {:>10.1f}%  {}\n", "all uint8", Grouped(v.bytes_uint8),
                     Pct(v.bytes_uint8, v.bytes_float32), MetricsText(v, r.all_uint8));
  out += fmt::format("  {:<22} {:>14} {:>10.1f}%  {} (search); written model: {}\n", "chosen",
                     Grouped(v.bytes_chosen), Pct(v.bytes_chosen, v.bytes_float32), MetricsText(v, r.verified),
                     MetricsText(v, v.final_metrics));
  out += fmt::format("\n  search: {} evaluations", r.evaluations);
  if (v.inputs) out += fmt::format(", {} inferences", r.inferences);
  if (r.comparison_evaluations) out += fmt::format(" (+{} for --compare)", r.comparison_evaluations);
  out += fmt::format(", {:.1f} s\n", v.seconds);
  out += fmt::format("wrote {}: {} bytes of weights\n", v.out_path, Grouped(v.bytes_written));
  return out;
}

std::string RenderAutoJson(const AutoView& v) {
  const auto& r = v.result;
  ordered_json j;
  j["model"] = v.model_path;
  j["output"] = v.out_path;
  j["budget"] = v.budget_text;
  j["evaluator"] = v.evaluator;
  j["inputs"] = v.inputs;
  j["input_signature"] = v.input_desc;
  j["guarded_outputs"] = v.outputs;
  ordered_json tensors = ordered_json::array();
  for (size_t i = 0; i < v.tensors.size(); ++i) {
    const auto& t = v.tensors[i];
    const auto& c = r.choices[i];
    ordered_json e = {{"name", t.name},
                      {"shape", v.shapes[i]},
                      {"elements", t.elements},
                      {"choice", ChoiceLabel(t, r.plan[i])},
                      {"why", c.why},
                      {"group_size", c.group_size},
                      {"alone_uint8_db", c.alone_db ? Number(*c.alone_db) : ordered_json(nullptr)}};
    tensors.push_back(std::move(e));
  }
  j["tensors"] = std::move(tensors);
  j["sizes"] = {{"float32", v.bytes_float32},
                {"all_float16", v.bytes_float16},
                {"all_uint8", v.bytes_uint8},
                {"chosen", v.bytes_chosen},
                {"written", v.bytes_written},
                {"chosen_share_of_float32", Pct(v.bytes_chosen, v.bytes_float32) / 100}};
  j["metrics"] = {{"all_uint8", MetricsJson(v, r.all_uint8)},
                  {"all_float16", r.all_float16 ? MetricsJson(v, *r.all_float16) : ordered_json(nullptr)},
                  {"search_verified", MetricsJson(v, r.verified)},
                  {"final", MetricsJson(v, v.final_metrics)}};
  j["budget_holds"] = v.final_holds;
  j["evaluations"] = r.evaluations;
  j["inferences"] = v.inputs ? ordered_json(r.inferences) : ordered_json(nullptr);
  j["comparison_evaluations"] = r.comparison_evaluations;
  j["seconds"] = std::round(v.seconds * 1000) / 1000;
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace tfq::cli
