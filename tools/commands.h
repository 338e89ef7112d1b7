// SPDX-License-Identifier: Apache-2.0
// The subcommand table: each cmd_<verb>.cc registers its options on a CLI11
// subcommand and returns the function that runs it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

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
};

}  // namespace tfq::cli
