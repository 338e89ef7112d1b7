// SPDX-License-Identifier: Apache-2.0
// What the weights alone tell the search: which tensors it may change, their
// predicted weight error per encoding, and which 16-bit type suits each.
#include <cmath>

#include "tfjs_quant/inspect.h"
#include "tfjs_quant/search.h"

namespace tfq {
namespace {

// float16 keeps relative precision (good for values spanning decades);
// uint16 keeps absolute precision over the range (good for flat
// distributions). Both cost 2 bytes, so the better worst case wins: the
// lower of whole-tensor and worst-channel SQNR.
double Floor(const ErrorEstimate& e) { return std::min(e.sqnr_db, e.worst_channel_sqnr_db); }

}  // namespace

Result<std::vector<SearchTensor>> SearchTensors(const Model& model) {
  TFQ_ASSIGN_OR_RETURN(InspectReport report, Inspect(model));
  return SearchTensors(report);
}

std::vector<SearchTensor> SearchTensors(const InspectReport& report) {
  std::vector<SearchTensor> out;
  out.reserve(report.tensors.size());
  for (size_t i = 0; i < report.tensors.size(); ++i) {
    const TensorStats& s = report.tensors[i];
    SearchTensor t;
    t.index = i;
    t.name = s.name;
    t.elements = s.elements;
    t.stored_bytes = s.stored_bytes;
    t.stored = s.stored;
    t.searchable = s.quantizable && s.encoded;
    if (!t.searchable) {
      t.kept_reason = !s.quantizable             ? std::string(DTypeName(s.dtype)) + ": never quantized"
                      : (s.nan_count || s.inf_count) ? "holds NaN/Inf: kept as stored"
                                                   : "empty: kept as stored";
    } else {
      t.uint8_db = s.uint8.sqnr_db;
      t.uint16_db = s.uint16.sqnr_db;
      t.float16_db = s.float16.sqnr_db;
      t.uint8_worst_channel_db = Floor(s.uint8);
      t.best16 = s.float16_overflow == 0 && Floor(s.float16) >= Floor(s.uint16) ? Target::kFloat16 : Target::kUint16;
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<Target> UniformPlan(std::span<const SearchTensor> tensors, Target t) {
  std::vector<Target> plan(tensors.size(), Target::kKeep);
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].searchable) plan[i] = t;
  return plan;
}

uint64_t PlanBytes(std::span<const SearchTensor> tensors, std::span<const Target> plan) {
  uint64_t total = 0;
  for (size_t i = 0; i < tensors.size() && i < plan.size(); ++i) {
    const SearchTensor& t = tensors[i];
    switch (plan[i]) {
      case Target::kKeep: total += t.stored_bytes; break;
      case Target::kRaw: total += t.searchable ? 4 * t.elements : t.stored_bytes; break;
      case Target::kUint8: total += t.elements; break;
      case Target::kUint16:
      case Target::kFloat16: total += 2 * t.elements; break;
    }
  }
  return total;
}

}  // namespace tfq
