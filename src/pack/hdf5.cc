// SPDX-License-Identifier: Apache-2.0
// STUB: to be written.
#include "tfjs_quant/hdf5.h"

namespace tfq {

Status ReadHdf5(const std::string&, std::string_view, const Limits&, std::vector<SourceTensor>*) {
  return Unsupported("hdf5: not written yet");
}
Status ReadKeras(FileSource&, std::string_view, const Limits&, std::vector<SourceTensor>*) {
  return Unsupported("keras: not written yet");
}

}  // namespace tfq
