// SPDX-License-Identifier: Apache-2.0
// The subcommand table: each cmd_<verb>.cc registers its options on a CLI11
// subcommand and returns the function that runs it.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace tfq::cli {

using Runner = std::function<int()>;

// Flag values that cannot come from a user: a bare --quantize_* flag, and an
// explicitly empty one ("--quantize_uint8=").
inline constexpr const char* kBareFlag = "\x01";
inline constexpr const char* kEmptyPatternList = "\x03";
inline constexpr const char* kPatternFlags[] = {"--quantize_uint8", "--quantize_uint16", "--quantize_float16",
                                                "--uint8",          "--uint16",          "--float16"};
Runner SetupQuantize(CLI::App& sub);
Runner SetupDequantize(CLI::App& sub);
Runner SetupInspect(CLI::App& sub);
Runner SetupDiff(CLI::App& sub);
Runner SetupAuto(CLI::App& sub);
Runner SetupPack(CLI::App& sub);
Runner SetupExport(CLI::App& sub);
#ifdef TFJS_QUANT_NODE_CLI
// `npx tfjs-quant serve` is js/bin/serve.js's (plain Node), which takes it
// before this program starts; it is listed here so that --help shows every
// command the package has.
inline Runner SetupServe(CLI::App& sub) {
  sub.allow_extras();
  return [] { return 1; };
}
#endif

// Options every subcommand spells the same way.
inline constexpr const char* kModelHelp =
    "Model folder, model JSON file (any name), or standalone *weights_manifest.json";
// OUT, --weight_shard_size_bytes and --force, for the commands that write a
// model. The shard size stays text until ParseByteCount: CLI11 would wrap
// 2^64 around to 0 without a word.
inline void AddOutputOptions(CLI::App& sub, std::string& out, std::string& shard_size, bool& force) {
  sub.add_option("OUT", out, "New output folder (must not exist or be empty; see --force)")->required();
  sub.add_option("--weight_shard_size_bytes,--shard-size", shard_size, "Bytes per shard file (default 4194304)");
  sub.add_flag("--force", force, "Replace OUT if it exists and is not empty");
}

// How a model is written: threads per large tensor and durability. Every
// command that writes a model takes these.
struct WriteArgs {
  int threads = 0;  // 0: every core
  bool sync = false;
};
inline void AddWriteOptions(CLI::App& sub, WriteArgs& w) {
  sub.add_option("--threads", w.threads, "Threads for large tensors (default: every core; output bytes are the same)")
      ->check(CLI::Range(1, 1024));
  sub.add_flag("--sync", w.sync, "fsync every output file before OUT appears (survives power loss; slower)");
}

struct Command {
  const char* name;
  const char* help;
  Runner (*setup)(CLI::App&);
};

inline constexpr Command kCommands[] = {
    {"quantize", "Quantize a model's float32 weights to uint8, uint16 or float16", SetupQuantize},
    {"dequantize", "Decode every quantized weight back to float32 exactly as tfjs does", SetupDequantize},
    {"inspect", "Per-tensor statistics, predicted quantization error and risk, sizes on the wire", SetupInspect},
    {"diff", "Compare two models with the same weights, tensor by tensor", SetupDiff},
    {"pack", "Turn PyTorch, safetensors, numpy, Keras and ONNX weights into tfjs weights (renamed, transposed, "
             "quantized)",
     SetupPack},
    {"export", "Write every weight as tfjs decodes it to a .safetensors or .npz file", SetupExport},
#ifndef TFJS_QUANT_NODE_CLI  // auto runs evaluator processes: the native tool only
    {"auto", "Find the smallest per-tensor mix of uint8/16-bit/float32 within an accuracy budget, measured in TensorFlow.js",
     SetupAuto},
#else
    {"serve", "Serve the web page that inspects, quantizes and runs auto on a model in your browser "
              "(npx tfjs-quant serve --help)",
     SetupServe},
#endif
};

}  // namespace tfq::cli
