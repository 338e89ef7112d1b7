// SPDX-License-Identifier: Apache-2.0
// STUB: to be written.
#include "tfjs_quant/pack.h"

namespace tfq {

Status ReadSafetensors(FileSource&, std::string_view, const Limits&, std::vector<SourceTensor>*) {
  return Unsupported("safetensors: not written yet");
}

}  // namespace tfq
