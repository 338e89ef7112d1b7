// SPDX-License-Identifier: Apache-2.0
// Candidate weights for an evaluator and its measurements read back
// (tfjs_quant/evaluation.h). A reply is never trusted: every field is
// checked, nothing throws or aborts whatever it holds.
#include "tfjs_quant/evaluation.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "json/json.h"
#include "tfjs_quant/manifest.h"
#include "tfjs_quant/writer.h"

namespace tfq {
namespace {

using json::Json;

// Replies nest a few levels; anything deeper is not one.
constexpr uint64_t kMaxReplyDepth = 32;

std::string Key(const std::string& name, Target t) { return name + "@" + std::string(TargetName(t)); }

const Json* Field(const Json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}
std::optional<double> Number(const Json& j, const char* key) {
  const Json* f = Field(j, key);
  if (!f || !f->is_number()) return std::nullopt;
  return f->get<double>();
}
// An integer-valued number in [0, max], safe to cast.
std::optional<int64_t> Count(const Json& j, const char* key, int64_t max) {
  const auto v = Number(j, key);
  if (!v || !(*v >= 0 && *v <= static_cast<double>(max)) || *v != std::floor(*v)) return std::nullopt;
  return static_cast<int64_t>(*v);
}

// A metric every result carries: a number, or null where it was not finite
// (JSON has no NaN), which counts as a non-finite output. A result without
// it is refused by name: taken as 0, a missing maxabs or argmax would let a
// maxabs<= or top1>= budget hold whatever the outputs were.
Status Metric(const Json& x, const char* key, double* value, int64_t* non_finite) {
  const Json* f = Field(x, key);
  if (!f) return EvaluatorFailed(std::string("a result lacks \"") + key + "\"");
  if (f->is_null()) {
    *value = 0;
    *non_finite = std::max<int64_t>(*non_finite, 1);
    return Status::Ok();
  }
  if (!f->is_number()) return EvaluatorFailed(std::string("a result's \"") + key + "\" is not a number");
  *value = f->get<double>();
  return Status::Ok();
}

}  // namespace

std::string CandidateBatch::entries_json(size_t begin, size_t end) const {
  std::string out = "[";
  for (size_t k = begin; k < end; ++k) out += (k > begin ? ", " : "") + entries[k];
  return out + "]";
}

std::string CandidateBatch::assign_json() const {
  Json a = Json::object();
  for (const auto& [name, key] : assign) a[name] = key;
  return a.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<CandidateBatch> CandidateCache::Prepare(std::span<const Target> plan) {
  if (plan.size() != sent_.size()) return InvalidArgument("a plan must hold one target per tensor of the model");
  const auto& tensors = model_.tensors();
  CandidateBatch batch;
  for (size_t i = 0; i < plan.size(); ++i) {
    if (plan[i] == Target::kKeep) continue;
    const WeightEntry& e = model_.entry(tensors[i]);
    const auto t = static_cast<size_t>(plan[i]);
    if (!sent_[i][t]) {
      TFQ_ASSIGN_OR_RETURN(EncodedTensor enc, EncodeTensor(model_, i, plan[i]));
      if (!enc.changed) continue;
      // The entry as the writer writes it, with the key added last.
      std::string entry = EntryToJson(enc.entry);
      if (entry.empty() || entry.back() != '}') return Internal("a weight entry is not a JSON object: " + Quoted(e.name));
      entry.pop_back();
      entry += ", \"key\": " + json::PythonStringLiteral(Key(e.name, plan[i])) + "}";
      batch.entries.push_back(std::move(entry));
      batch.sizes.push_back(enc.bytes.size());
      batch.bytes.insert(batch.bytes.end(), enc.bytes.begin(), enc.bytes.end());
      sent_[i][t] = true;
    }
    batch.assign.emplace_back(e.name, Key(e.name, plan[i]));
  }
  return batch;
}

Result<Measurement> ParseMeasurement(std::string_view reply, int num_inputs, std::span<const std::string> outputs,
                                     std::span<const int> inputs) {
  json::ParseOptions po;
  po.max_depth = kMaxReplyDepth;
  auto parsed = json::Parse(reply, "an evaluation's reply", po);
  if (!parsed.ok()) return EvaluatorFailed(parsed.status().message());
  const Json& r = *parsed;
  Measurement m;
  m.inferences = Count(r, "inferences", int64_t{1} << 40).value_or(0);
  const Json* results = Field(r, "results");
  if (!results || !results->is_array() || results->empty()) return EvaluatorFailed("an evaluation returned no results");
  std::map<std::string_view, int> output_index;
  for (size_t k = 0; k < outputs.size(); ++k) output_index.emplace(outputs[k], static_cast<int>(k));
  std::set<std::pair<int, int>> seen;
  for (const auto& x : *results) {
    Sample s;
    const auto input = Count(x, "input", num_inputs - 1);
    if (!input) return EvaluatorFailed("a result names no valid input");
    s.input = static_cast<int>(*input);
    if (!inputs.empty() && std::find(inputs.begin(), inputs.end(), s.input) == inputs.end()) {
      return EvaluatorFailed("a result names input " + std::to_string(s.input) + ", which was not asked for");
    }
    s.output = -1;
    const Json* out = Field(x, "output");
    if (out && out->is_string()) {
      auto it = output_index.find(out->get_ref<const std::string&>());
      if (it != output_index.end()) s.output = it->second;
    }
    if (s.output < 0) {
      return EvaluatorFailed("a result names the output " +
                             (out && out->is_string() ? Quoted(out->get_ref<const std::string&>(), 200) : "(none)") +
                             ", which it did not declare");
    }
    if (!seen.emplace(s.input, s.output).second) {
      return EvaluatorFailed("an evaluation returned input " + std::to_string(s.input) + ", output " +
                             Quoted(outputs[static_cast<size_t>(s.output)], 200) + " twice");
    }
    // JSON has no NaN: an error sum that overflowed arrives as null.
    const auto err = Number(x, "err");
    s.err = err.value_or(0);
    s.non_finite = Count(x, "nonfinite", int64_t{1} << 53).value_or(0);
    if (!err) s.non_finite = std::max<int64_t>(s.non_finite, 1);
    const auto n = Number(x, "n"), sig = Number(x, "sig");
    if (!n || !sig) return EvaluatorFailed("a result lacks its value count or signal power");
    s.n = *n;
    s.sig = *sig;
    TFQ_RETURN_IF_ERROR(Metric(x, "maxabs", &s.max_abs, &s.non_finite));
    TFQ_RETURN_IF_ERROR(Metric(x, "dot", &s.dot, &s.non_finite));
    TFQ_RETURN_IF_ERROR(Metric(x, "nout", &s.nout, &s.non_finite));
    // Sums of squares and counts are never negative; none may be NaN/Inf.
    for (double v : {s.n, s.sig, s.err, s.max_abs, s.nout}) {
      if (!(v >= 0) || !std::isfinite(v)) return EvaluatorFailed("a result holds a negative or non-finite sum");
    }
    if (!std::isfinite(s.dot)) return EvaluatorFailed("a result holds a non-finite sum");
    const auto argmax_ref = Count(x, "argmax_ref", int64_t{1} << 53), argmax_out = Count(x, "argmax_out", int64_t{1} << 53);
    if (!argmax_ref || !argmax_out) {
      return EvaluatorFailed(std::string("a result lacks \"") + (argmax_ref ? "argmax_out" : "argmax_ref") +
                             "\" (a whole number)");
    }
    s.argmax_ref = *argmax_ref;
    s.argmax_out = *argmax_out;
    m.samples.push_back(s);
  }
  // Exactly one result per (input asked for, output): a missing one would
  // count as no damage.
  const size_t want = (inputs.empty() ? static_cast<size_t>(num_inputs) : inputs.size()) * outputs.size();
  if (seen.size() != want) {
    return EvaluatorFailed("an evaluation returned " + std::to_string(seen.size()) + " results, not " +
                           std::to_string(want) + " (one per input asked for and guarded output)");
  }
  return m;
}

}  // namespace tfq
