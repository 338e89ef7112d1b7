// SPDX-License-Identifier: Apache-2.0
// Keras / HDF5 weights through libhdf5 (native builds only: the library
// needs a real file or an in-memory image, not a FileSource).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tfjs_quant/io.h"
#include "tfjs_quant/pack.h"

namespace tfq {

// A Keras .h5 weights file (model.save_weights) or legacy whole-model .h5
// (model.save, weights under /model_weights), at `disk_path`; named as the
// tfjs converter names Keras weights. `display` names the file in messages.
Status ReadHdf5(const std::string& disk_path, std::string_view display, const Limits& limits,
                std::vector<SourceTensor>* out);
// A .keras archive (a zip holding model.weights.h5), read through `source`.
Status ReadKeras(FileSource& source, std::string_view path, const Limits& limits, std::vector<SourceTensor>* out);

}  // namespace tfq
