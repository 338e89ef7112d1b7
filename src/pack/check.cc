// SPDX-License-Identifier: Apache-2.0
// pack --model-json: the packed weights against those the model declares,
// in its weightsManifest (a graph model, a converted layers model) or, for
// a layers topology written by hand, in its layers' configs.
#include <map>

#include "json/json.h"
#include "pack/layer_weights.h"
#include "tfjs_quant/manifest.h"
#include "tfjs_quant/model.h"
#include "tfjs_quant/packed.h"
#include "tfjs_quant/text.h"

namespace tfq {
namespace {

Result<DeclaredWeights> Declared(const std::string& model_json, std::string_view label, const Limits& limits) {
  DeclaredWeights d;
  if (json::TopLevelMemberSpan(model_json, "weightsManifest")) {
    TFQ_ASSIGN_OR_RETURN(ModelFile mf, ParseModelFile(model_json, label, limits));
    for (const auto& g : mf.groups)
      for (const auto& e : g.weights) d.weights.push_back({e.name, e.shape});
    return d;
  }
  // Only the topology is built; the rest of the file is checked and dropped.
  json::Filter filter;
  filter.root = 1;
  filter.child = [](int parent, std::optional<std::string_view> key) {
    return parent == 1 && key == "modelTopology" ? json::Filter::kKeepAll : json::Filter::kDrop;
  };
  json::ParseOptions parse;
  parse.max_depth = limits.json_depth;
  parse.filter = &filter;
  TFQ_ASSIGN_OR_RETURN(json::Json root, json::Parse(model_json, label, parse));
  if (!root.is_object() || !root.contains("modelTopology")) return d;
  return LayerWeights(root["modelTopology"], limits);
}

bool ShapeFits(const std::optional<std::vector<int64_t>>& want, const std::vector<int64_t>& got) {
  if (!want) return true;
  if (want->size() != got.size()) return false;
  for (size_t i = 0; i < got.size(); ++i)
    if ((*want)[i] >= 0 && (*want)[i] != got[i]) return false;
  return true;
}

std::string WantText(const std::optional<std::vector<int64_t>>& shape) {
  if (!shape) return "";
  std::string s = "[";
  for (size_t i = 0; i < shape->size(); ++i) s += (i ? "," : "") + ((*shape)[i] < 0 ? "?" : std::to_string((*shape)[i]));
  return s + "]";
}

}  // namespace

Status CheckPackedWeights(const std::string& model_json, std::string_view label, const Model& model,
                          const Limits& limits) {
  TFQ_ASSIGN_OR_RETURN(DeclaredWeights declared, Declared(model_json, label, limits));
  if (declared.weights.empty() && declared.unknown_layers.empty()) return Status::Ok();  // nothing to check against
  std::map<std::string, const DeclaredWeight*, std::less<>> want;
  for (const auto& w : declared.weights) want.emplace(w.name, &w);
  auto unchecked = [&](const std::string& name) {
    for (const auto& layer : declared.unknown_layers)
      if (name.size() > layer.size() && name.starts_with(layer) && name[layer.size()] == '/') return true;
    return false;
  };
  std::vector<std::string> extra, shape;
  for (const TensorLocation& t : model.tensors()) {
    const WeightEntry& e = model.entry(t);
    auto it = want.find(e.name);
    if (it == want.end()) {
      if (!unchecked(e.name)) extra.push_back(Quoted(e.name) + " " + ShapeText(e.shape));
      continue;
    }
    if (!ShapeFits(it->second->shape, e.shape)) {
      shape.push_back(Quoted(e.name) + ": the model expects " + WantText(it->second->shape) + ", packed " +
                      ShapeText(e.shape));
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
  for (const auto& [name, w] : want) missing.push_back(Quoted(name) + " " + WantText(w->shape));
  list("missing (the model needs them; no input tensor has the name)", missing);
  list("extra (packed, but the model has no such weight)", extra);
  list("with another shape", shape);
  return Mismatch(msg + "\n  (the renames, the prefix, the transposes, the torch layout and the include and exclude "
                        "patterns change what is packed)");
}

}  // namespace tfq
