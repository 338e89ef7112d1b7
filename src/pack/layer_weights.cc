// SPDX-License-Identifier: Apache-2.0
#include "pack/layer_weights.h"

#include <set>
#include <string_view>

#include "tfjs_quant/text.h"

namespace tfq {
namespace {

using json::Json;

// Classes that hold no weights.
const std::set<std::string_view> kWeightless = {
    "InputLayer", "Activation", "ReLU", "LeakyReLU", "ELU", "ThresholdedReLU", "Softmax", "Dropout",
    "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "AlphaDropout", "GaussianDropout", "GaussianNoise",
    "Flatten", "Reshape", "Permute", "RepeatVector", "Masking", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
    "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D", "Add", "Subtract",
    "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot", "Rescaling", "Resizing", "CenterCrop"};

int64_t Int(const Json& config, const char* key, int64_t fallback) {
  auto it = config.find(key);
  if (it == config.end() || !it->is_number_integer()) return fallback;
  return it->get<int64_t>();
}

bool Bool(const Json& config, const char* key, bool fallback) {
  auto it = config.find(key);
  return it != config.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

// kernel_size as a list of `rank` sizes (an int repeats); -1 when absent.
std::vector<int64_t> Sizes(const Json& config, const char* key, size_t rank) {
  std::vector<int64_t> out(rank, -1);
  auto it = config.find(key);
  if (it == config.end()) return out;
  if (it->is_number_integer()) return std::vector<int64_t>(rank, it->get<int64_t>());
  if (it->is_array() && it->size() == rank) {
    for (size_t i = 0; i < rank; ++i) out[i] = (*it)[i].is_number_integer() ? (*it)[i].get<int64_t>() : -1;
  }
  return out;
}

std::vector<int64_t> Cat(std::vector<int64_t> a, std::initializer_list<int64_t> b) {
  a.insert(a.end(), b);
  return a;
}

// The weights of one layer class; false: a class we do not know.
bool Declare(std::string_view cls, const std::string& name, const Json& c, std::vector<DeclaredWeight>* out) {
  auto add = [&](const char* w, std::optional<std::vector<int64_t>> shape) {
    out->push_back({name + "/" + w, std::move(shape)});
  };
  const int64_t filters = Int(c, "filters", -1), units = Int(c, "units", -1);
  const bool bias = Bool(c, "use_bias", true);
  if (kWeightless.count(cls)) return true;
  if (cls == "Dense") {
    add("kernel", std::vector<int64_t>{-1, units});
    if (bias) add("bias", std::vector<int64_t>{units});
  } else if (cls == "Conv1D" || cls == "Conv2D" || cls == "Conv3D") {
    const size_t rank = cls == "Conv1D" ? 1 : cls == "Conv2D" ? 2 : 3;
    add("kernel", Cat(Sizes(c, "kernel_size", rank), {-1, filters}));
    if (bias) add("bias", std::vector<int64_t>{filters});
  } else if (cls == "Conv2DTranspose" || cls == "Conv3DTranspose") {
    const size_t rank = cls == "Conv2DTranspose" ? 2 : 3;
    add("kernel", Cat(Sizes(c, "kernel_size", rank), {filters, -1}));
    if (bias) add("bias", std::vector<int64_t>{filters});
  } else if (cls == "DepthwiseConv2D") {
    add("depthwise_kernel", Cat(Sizes(c, "kernel_size", 2), {-1, Int(c, "depth_multiplier", 1)}));
    if (bias) add("bias", std::vector<int64_t>{-1});
  } else if (cls == "SeparableConv2D" || cls == "SeparableConv1D") {
    const size_t rank = cls == "SeparableConv2D" ? 2 : 1;
    add("depthwise_kernel", Cat(Sizes(c, "kernel_size", rank), {-1, Int(c, "depth_multiplier", 1)}));
    add("pointwise_kernel", Cat(std::vector<int64_t>(rank, 1), {-1, filters}));
    if (bias) add("bias", std::vector<int64_t>{filters});
  } else if (cls == "BatchNormalization") {
    if (Bool(c, "scale", true)) add("gamma", std::vector<int64_t>{-1});
    if (Bool(c, "center", true)) add("beta", std::vector<int64_t>{-1});
    add("moving_mean", std::vector<int64_t>{-1});
    add("moving_variance", std::vector<int64_t>{-1});
  } else if (cls == "LayerNormalization") {
    if (Bool(c, "scale", true)) add("gamma", std::vector<int64_t>{-1});
    if (Bool(c, "center", true)) add("beta", std::vector<int64_t>{-1});
  } else if (cls == "Embedding") {
    add("embeddings", std::vector<int64_t>{Int(c, "input_dim", -1), Int(c, "output_dim", -1)});
  } else if (cls == "PReLU") {
    add("alpha", std::nullopt);
  } else {
    return false;
  }
  return true;
}

}  // namespace

Result<DeclaredWeights> LayerWeights(const Json& topology, const Limits& limits) {
  DeclaredWeights out;
  const Json* root = &topology;
  if (auto it = topology.find("model_config"); it != topology.end()) root = &*it;
  // Containers still to walk: a model config ({class_name, config}) or a
  // layer list. Nested models push their layers.
  std::vector<const Json*> todo{root};
  size_t seen = 0;
  while (!todo.empty()) {
    const Json* node = todo.back();
    todo.pop_back();
    const Json* layers = nullptr;
    if (node->is_array()) {
      layers = node;
    } else if (node->is_object()) {
      auto c = node->find("config");
      if (c == node->end()) continue;
      if (c->is_array()) layers = &*c;  // an old Sequential: config is the list
      else if (c->is_object() && c->contains("layers") && (*c)["layers"].is_array()) layers = &(*c)["layers"];
    }
    if (!layers) continue;
    for (const Json& layer : *layers) {
      if (++seen > limits.weights) {
        return LimitExceeded("the model JSON declares more than " + LimitText("weights", limits.weights) +
                             " layers", "weights");
      }
      if (!layer.is_object()) continue;
      auto cls_it = layer.find("class_name");
      auto cfg_it = layer.find("config");
      if (cls_it == layer.end() || !cls_it->is_string() || cfg_it == layer.end() || !cfg_it->is_object()) continue;
      const std::string& cls = cls_it->get_ref<const std::string&>();
      const Json& cfg = *cfg_it;
      if (cls == "Sequential" || cls == "Model" || cls == "Functional") {
        todo.push_back(&layer);
        continue;
      }
      std::string name;
      if (auto n = cfg.find("name"); n != cfg.end() && n->is_string()) name = n->get<std::string>();
      else if (auto n2 = layer.find("name"); n2 != layer.end() && n2->is_string()) name = n2->get<std::string>();
      if (name.empty()) continue;
      if (!Declare(cls, name, cfg, &out.weights)) out.unknown_layers.push_back(name);
    }
  }
  return out;
}

}  // namespace tfq
