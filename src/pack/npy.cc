// SPDX-License-Identifier: Apache-2.0
// STUB: to be written.
#include "tfjs_quant/pack.h"

namespace tfq {

Status ReadNpy(FileSource&, std::string_view, std::string_view, const Limits&, std::vector<SourceTensor>*) {
  return Unsupported("npy: not written yet");
}
Status ReadNpz(FileSource&, std::string_view, const Limits&, std::vector<SourceTensor>*) {
  return Unsupported("npz: not written yet");
}

}  // namespace tfq
