// SPDX-License-Identifier: Apache-2.0
// STUB: to be written.
#include "tfjs_quant/pack.h"

namespace tfq {

Status ReadOnnx(FileSource&, std::string_view, const Limits&, std::vector<SourceTensor>*) {
  return Unsupported("onnx: not written yet");
}

}  // namespace tfq
