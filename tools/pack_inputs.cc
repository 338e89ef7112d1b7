// SPDX-License-Identifier: Apache-2.0
#include "pack_inputs.h"

#include <map>

#ifndef TFJS_QUANT_NODE_CLI
#include "tfjs_quant/hdf5.h"
#endif

namespace tfq::cli {
namespace fs = std::filesystem;
namespace {

// A folder whose every opened file is remembered: what a reader reads
// besides the file named (ONNX external data) is an input too.
class RecordingSource : public FileSource {
 public:
  RecordingSource(std::unique_ptr<DiskSource> disk, fs::path folder, std::vector<fs::path>* opened)
      : disk_(std::move(disk)), folder_(std::move(folder)), opened_(opened) {}
  Result<std::unique_ptr<RandomAccessFile>> Open(std::string_view path) override {
    opened_->push_back(folder_ / std::string(path));
    return disk_->Open(path);
  }
  std::string Describe(std::string_view path) const override { return disk_->Describe(path); }

 private:
  std::unique_ptr<DiskSource> disk_;
  fs::path folder_;
  std::vector<fs::path>* opened_;
};

}  // namespace

Result<PackInputs> ReadPackInputs(const std::vector<std::string>& paths, const Limits& limits) {
  PackInputs in;
  // One source per folder: inputs that share a folder share its descriptor.
  std::map<fs::path, FileSource*> sources;
  for (const std::string& p : paths) {
    const fs::path path(p);
    auto format = PackFormatOf(path.filename().string());
    if (!format) {
      return InvalidArgument(Quoted(p, 300) +
                             ": unknown kind of file; pack reads .pt .pth .bin .ckpt (PyTorch), .safetensors, .npy, "
                             ".npz, .h5 .hdf5 .keras (Keras) and .onnx");
    }
    // Followed through links: a link to a FIFO or /dev/zero is refused as
    // what it points at, before anything opens it.
    TFQ_RETURN_IF_ERROR(CheckRegularFile(path));
    fs::path folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    const std::string name = path.filename().string();
    Status s;
    if (*format == "hdf5") {
#ifdef TFJS_QUANT_NODE_CLI  // libhdf5 is not built for WebAssembly
      return Unsupported(Quoted(p, 300) + ": Keras .h5 files need the native tfjs-quant (libhdf5)");
#else
      s = ReadHdf5(p, Printable(p, 300), limits, &in.tensors);
      in.inputs.files.push_back(path);  // read by libhdf5, not through a source
#endif
    } else {
      FileSource*& source = sources[folder];
      if (!source) {
        TFQ_ASSIGN_OR_RETURN(auto disk, DiskSource::Create(folder));
        in.folders.push_back(std::make_unique<RecordingSource>(std::move(disk), folder, &in.inputs.files));
        source = in.folders.back().get();
      }
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
    }
    TFQ_RETURN_IF_ERROR(s);
    if (in.inputs.folder.empty()) in.inputs.folder = folder;
  }
  return in;
}

}  // namespace tfq::cli
