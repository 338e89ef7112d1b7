// SPDX-License-Identifier: Apache-2.0
// pack --model-json: the packed weights against those the model declares.
#include <map>

#include "json/json.h"
#include "tfjs_quant/manifest.h"
#include "tfjs_quant/model.h"
#include "tfjs_quant/packed.h"
#include "tfjs_quant/text.h"

namespace tfq {

Status CheckPackedWeights(const std::string& model_json, std::string_view label, const Model& model,
                          const Limits& limits) {
  if (!json::TopLevelMemberSpan(model_json, "weightsManifest")) return Status::Ok();
  TFQ_ASSIGN_OR_RETURN(ModelFile expected, ParseModelFile(model_json, label, limits));
  std::map<std::string, const WeightEntry*, std::less<>> want;
  for (const auto& g : expected.groups)
    for (const auto& e : g.weights) want.emplace(e.name, &e);
  std::vector<std::string> extra, shape;
  for (const TensorLocation& t : model.tensors()) {
    const WeightEntry& e = model.entry(t);
    auto it = want.find(e.name);
    if (it == want.end()) {
      extra.push_back(Quoted(e.name) + " " + ShapeText(e.shape));
      continue;
    }
    if (it->second->shape != e.shape || it->second->dtype != e.dtype) {
      shape.push_back(Quoted(e.name) + ": the model expects " + ShapeText(it->second->shape) + " " +
                      std::string(DTypeName(it->second->dtype)) + ", packed " + ShapeText(e.shape) + " " +
                      std::string(DTypeName(e.dtype)));
    }
    want.erase(it);
  }
  if (want.empty() && extra.empty() && shape.empty()) return Status::Ok();
  // At most this many of each kind are listed; the counts are complete.
  constexpr size_t kShown = 20;
  std::string msg = Printable(label, 300) + " does not take the packed weights:";
  auto list = [&](const std::string& title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    msg += "\n  " + std::to_string(items.size()) + " " + title + ":";
    for (size_t i = 0; i < items.size() && i < kShown; ++i) msg += "\n    " + items[i];
    if (items.size() > kShown) msg += "\n    ...";
  };
  std::vector<std::string> missing;
  for (const auto& [name, e] : want) missing.push_back(Quoted(name) + " " + ShapeText(e->shape));
  list("missing (the model needs them; no input tensor has the name)", missing);
  list("extra (packed, but the model has no such weight)", extra);
  list("with another shape or dtype", shape);
  return Mismatch(msg + "\n  (--rename, --transpose, --layout torch and --include/--exclude change what is packed)");
}

}  // namespace tfq
