// SPDX-License-Identifier: Apache-2.0
// pack's inputs on disk: each file read by the reader its name asks for,
// and every file a reader opened (ONNX external data too) listed as an
// input that no output may touch. Each tensor keeps its file open until the
// tensors are written: one descriptor per input file, plus one per folder
// (pack raises its soft descriptor limit to the hard one: cmd_pack.cc).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tfjs_quant/disk.h"
#include "tfjs_quant/pack.h"
#include "tfjs_quant/tfjs_quant.h"

namespace tfq::cli {

struct PackInputs {
  std::vector<std::unique_ptr<FileSource>> folders;  // keep the tensors' files reachable
  std::vector<SourceTensor> tensors;                 // every input's, in order
  InputPaths inputs;                                 // what no output may touch
};
Result<PackInputs> ReadPackInputs(const std::vector<std::string>& paths, const Limits& limits);

}  // namespace tfq::cli
