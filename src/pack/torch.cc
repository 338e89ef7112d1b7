// SPDX-License-Identifier: Apache-2.0
// STUB: to be written (with src/pack/pickle.{h,cc}).
#include "tfjs_quant/pack.h"

namespace tfq {

Status ReadTorch(FileSource&, std::string_view, const Limits&, std::vector<SourceTensor>*) {
  return Unsupported("torch: not written yet");
}

}  // namespace tfq
