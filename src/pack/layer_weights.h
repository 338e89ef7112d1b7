// SPDX-License-Identifier: Apache-2.0
// The weights a Keras / tfjs-layers topology declares, read from its
// layer configs without running shape inference: a dimension that depends
// on the layer's input (a kernel's input channels) is a wildcard.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "json/json.h"
#include "tfjs_quant/limits.h"
#include "tfjs_quant/status.h"

namespace tfq {

struct DeclaredWeight {
  std::string name;  // "<layer>/<weight>", as tfjs-layers names it
  // -1: any size; nullopt: the rank is not known either (PReLU's alpha).
  std::optional<std::vector<int64_t>> shape;
};

struct DeclaredWeights {
  std::vector<DeclaredWeight> weights;
  // Layers of classes whose weights we do not know (LSTM, custom layers):
  // any weight named "<layer>/..." is accepted for them, unchecked.
  std::vector<std::string> unknown_layers;
};

// `topology` is model.json's "modelTopology" (or its "model_config").
// Nested models are walked with an explicit stack.
Result<DeclaredWeights> LayerWeights(const json::Json& topology, const Limits& limits);

}  // namespace tfq
