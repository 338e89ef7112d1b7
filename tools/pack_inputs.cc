// SPDX-License-Identifier: Apache-2.0
#include "pack_inputs.h"

#ifndef TFJS_QUANT_NODE_CLI
#include "tfjs_quant/hdf5.h"
#endif

namespace tfq::cli {
namespace fs = std::filesystem;

Result<PackInputs> ReadPackInputs(const std::vector<std::string>& paths, const Limits& limits) {
  PackInputs in;
  for (const std::string& p : paths) {
    const fs::path path(p);
    auto format = PackFormatOf(path.filename().string());
    if (!format) {
      return InvalidArgument(Quoted(p, 300) +
                             ": unknown kind of file; pack reads .pt .pth .bin .ckpt (PyTorch), .safetensors, .npy, "
                             ".npz, .h5 .hdf5 .keras (Keras) and .onnx");
    }
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return NotFound(Quoted(p, 300) + ": no such file");
    fs::path folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    const std::string name = path.filename().string();
    Status s;
    if (*format == "hdf5") {
#ifdef TFJS_QUANT_NODE_CLI  // libhdf5 is not built for WebAssembly
      return Unsupported(Quoted(p, 300) + ": Keras .h5 files need the native tfjs-quant (libhdf5)");
#else
      s = ReadHdf5(p, Printable(p, 300), limits, &in.tensors);
#endif
    } else {
      TFQ_ASSIGN_OR_RETURN(auto source, DiskSource::Create(folder));
      if (*format == "safetensors") s = ReadSafetensors(*source, name, limits, &in.tensors);
      else if (*format == "npy") s = ReadNpy(*source, name, path.stem().string(), limits, &in.tensors);
      else if (*format == "npz") s = ReadNpz(*source, name, limits, &in.tensors);
      else if (*format == "torch") s = ReadTorch(*source, name, limits, &in.tensors);
      else if (*format == "onnx") s = ReadOnnx(*source, name, limits, &in.tensors);
#ifndef TFJS_QUANT_NODE_CLI
      else if (*format == "keras") s = ReadKeras(*source, name, limits, &in.tensors);
#else
      else s = Unsupported(Quoted(p, 300) + ": .keras files need the native tfjs-quant (libhdf5)");
#endif
      in.folders.push_back(std::move(source));
    }
    TFQ_RETURN_IF_ERROR(s);
    in.inputs.files.push_back(path);
    if (in.inputs.folder.empty()) in.inputs.folder = folder;
  }
  return in;
}

}  // namespace tfq::cli
