// SPDX-License-Identifier: Apache-2.0
// tfjs-quant export MODEL OUT.safetensors|OUT.npz: every weight as tfjs
// decodes it, for checking in other tools and packing back.
#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <string>

#include "cli_common.h"
#include "commands.h"
#include "tfjs_quant/export.h"

namespace tfq::cli {
namespace fs = std::filesystem;
namespace {

struct ExportArgs {
  std::string in, out;
  std::vector<std::string> limits;
  bool force = false;
};

int Run(const ExportArgs& a) {
  const std::string ext = fs::path(a.out).extension().string();
  if (ext != ".safetensors" && ext != ".npz") {
    return Fail(InvalidArgument("OUT " + Quoted(a.out, 300) + ": expected a file name ending in .safetensors or .npz"));
  }
  auto opened = OpenModel(a.in, a.limits);
  if (!opened.ok()) return Fail(opened.status());
  std::error_code ec;
  const fs::file_type type = fs::symlink_status(a.out, ec).type();
  if (ec && type != fs::file_type::not_found) {
    return Fail(IOError("cannot look at " + Quoted(a.out, 300) + ": " + ec.message()));
  }
  if (!a.force && type != fs::file_type::not_found) {
    return Fail(AlreadyExists(Quoted(a.out, 300) + " exists; choose another name or add --force to replace it"));
  }
  const ExportFormat format = ext == ".npz" ? ExportFormat::kNpz : ExportFormat::kSafetensors;
  uint64_t written = 0;
  Status s = WriteFileAtomically(
      a.out,
      [&](const ByteWriter& write) {
        return ExportWeights(*opened->model, format, [&](std::span<const uint8_t> piece) {
          written += piece.size();
          return write(piece);
        });
      },
      opened->inputs);
  if (!s.ok()) return Fail(s);
  fmt::print("{}: {} weights -> {} ({} bytes)\n", opened->shown, opened->model->tensors().size(),
             Printable(a.out, 300), Grouped(written));
  return kExitOk;
}

}  // namespace

Runner SetupExport(CLI::App& sub) {
  auto a = std::make_shared<ExportArgs>();
  sub.add_option("MODEL", a->in, kModelHelp)->required();
  sub.add_option("OUT", a->out, "The file to write: NAME.safetensors or NAME.npz")->required();
  sub.add_flag("--force", a->force, "Replace OUT if it exists");
  AddLimitOption(sub, a->limits);
  return [a] { return Run(*a); };
}

}  // namespace tfq::cli
