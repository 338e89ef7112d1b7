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
  // Named as both edges name them: the JS option uint8, the CLI's
  // --quantize_uint8 (the library names no flag).
  const std::array<Named, 3> rules = {{{&sel.uint8, Target::kUint8, "uint8"},
                                       {&sel.uint16, Target::kUint16, "uint16"},
                                       {&sel.float16, Target::kFloat16, "float16"}}};
  const Named* fallthrough = nullptr;
  for (const auto& r : rules) {
    if (r.rule->given && r.rule->fallthrough) {
      if (fallthrough) {
        return InvalidArgument(std::string("more than one quantization fallthrough: ") + fallthrough->flag + " and " +
                               r.flag + " are both asked for without patterns; exactly one may be");
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

std::vector<std::string> SelectionWarnings(const Model& model, const Selection& sel) {
  std::vector<std::string> out;
  if (!sel.uint8.given && !sel.uint16.given && !sel.float16.given) {
    out.push_back("no encoding was asked for (uint8, uint16 or float16): nothing is quantized, the weights are "
                  "copied as stored");
    return out;
  }
  // Whether `p` matches any weight, and any float32 one.
  auto matches = [&](const std::string& p, bool* any_float32) {
    bool any = false;
    *any_float32 = false;
    for (const auto& t : model.tensors()) {
      const WeightEntry& e = model.entry(t);
      if (!GlobMatch(p, e.name)) continue;
      any = true;
      *any_float32 = *any_float32 || e.dtype == DType::kFloat32;
    }
    return any;
  };
  const std::pair<const DTypeRule*, const char*> rules[] = {
      {&sel.uint8, "uint8"}, {&sel.uint16, "uint16"}, {&sel.float16, "float16"}};
  for (const auto& [rule, name] : rules) {
    if (!rule->given) continue;
    for (const auto& p : rule->patterns) {
      bool float32 = false;
      if (!matches(p, &float32)) {
        out.push_back(std::string(name) + " pattern " + Quoted(p) + " matches no weight");
      } else if (!float32) {
        out.push_back(std::string(name) + " pattern " + Quoted(p) +
                      " matches only weights that are not float32, which are never quantized");
      }
    }
  }
  for (const auto& p : sel.skip) {
    bool float32 = false;
    if (!matches(p, &float32)) out.push_back("skip pattern " + Quoted(p) + " matches no weight");
  }
  return out;
}

}  // namespace tfq
