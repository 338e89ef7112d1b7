// SPDX-License-Identifier: Apache-2.0
// Turns --quantize_* rules into one Target per tensor, with the converter's
// map_layers_to_quantization_dtype semantics and its two errors.
#include <array>

#include "tfjs_quant/select.h"
#include "tfjs_quant/text.h"

namespace tfq {

std::string_view TargetName(Target t) {
  switch (t) {
    case Target::kKeep: return "keep";
    case Target::kRaw: return "raw";
    case Target::kUint8: return "uint8";
    case Target::kUint16: return "uint16";
    case Target::kFloat16: return "float16";
  }
  return "?";
}

Result<std::vector<Target>> Plan(const Model& model, const Selection& sel) {
  struct Named {
    const DTypeRule* rule;
    Target target;
    const char* flag;
  };
  const std::array<Named, 3> rules = {{{&sel.uint8, Target::kUint8, "--quantize_uint8"},
                                       {&sel.uint16, Target::kUint16, "--quantize_uint16"},
                                       {&sel.float16, Target::kFloat16, "--quantize_float16"}}};
  const Named* fallthrough = nullptr;
  for (const auto& r : rules) {
    if (r.rule->given && r.rule->fallthrough) {
      if (fallthrough) {
        return InvalidArgument(std::string("more than one quantization fallthrough: ") + fallthrough->flag + " and " +
                               r.flag + " are both given without patterns; exactly one may be");
      }
      fallthrough = &r;
    }
  }
  std::vector<Target> plan;
  plan.reserve(model.tensors().size());
  for (const auto& t : model.tensors()) {
    const WeightEntry& e = model.entry(t);
    const Named* chosen = nullptr;
    std::string chosen_pattern;
    for (const auto& r : rules) {
      if (!r.rule->given || r.rule->fallthrough) continue;
      for (const auto& p : r.rule->patterns) {
        if (!GlobMatch(p, e.name)) continue;
        if (chosen && chosen->target != r.target) {
          return InvalidArgument("weight " + Quoted(e.name) + " is matched by " + chosen->flag + " pattern " +
                                 Quoted(chosen_pattern) + " and by " + r.flag + " pattern " + Quoted(p) +
                                 "; a weight may be given only one quantization dtype");
        }
        chosen = &r;
        chosen_pattern = p;
      }
    }
    if (!chosen) chosen = fallthrough;
    Target target = chosen ? chosen->target : Target::kKeep;
    for (const auto& p : sel.skip) {
      if (GlobMatch(p, e.name)) target = Target::kKeep;
    }
    // Only float32 tensors are quantized, as in the converter (spec 3.2).
    if (e.dtype != DType::kFloat32) target = Target::kKeep;
    plan.push_back(target);
  }
  return plan;
}

}  // namespace tfq
