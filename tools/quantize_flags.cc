// SPDX-License-Identifier: Apache-2.0
#include "quantize_flags.h"

#include "cli_common.h"

namespace tfq::cli {
namespace {

// Fills one rule from a flag value (nothing if the flag was not given).
void ToRule(const std::string& v, DTypeRule* rule) {
  if (v == kUnsetFlag) return;
  rule->given = true;
  if (v == kBareFlag) {
    rule->fallthrough = true;
  } else if (v == kEmptyPatternList) {
    rule->patterns = {""};
  } else {
    // "--quantize_uint8=" gives the single pattern "", which matches nothing,
    // exactly as in the converter.
    rule->patterns = SplitPatterns(v);
  }
}

}  // namespace

void AddQuantizeFlags(CLI::App& sub, QuantizeFlags& f) {
  // main() turns a bare flag into "--flag=<kBareFlag>" (see commands.h).
  sub.add_option("--quantize_uint8,--uint8", f.uint8, "Quantize to uint8 (affine min/scale)")->type_name("[=PATTERNS]");
  sub.add_option("--quantize_uint16,--uint16", f.uint16, "Quantize to uint16 (affine min/scale)")
      ->type_name("[=PATTERNS]");
  sub.add_option("--quantize_float16,--float16", f.float16, "Quantize to float16 (IEEE half)")
      ->type_name("[=PATTERNS]");
  sub.add_option("--quantization_bytes", f.quantization_bytes,
                 "Deprecated converter flag: 1 = --quantize_uint8, 2 = --quantize_uint16")
      ->check(CLI::IsMember({1, 2}));
  sub.add_option("--skip", f.skip, "Comma-separated patterns of weights to keep as stored, whatever else matches");
  sub.add_option("--arithmetic", f.arithmetic,
                 "float64 (numpy >= 2, default) or float32 (numpy 1.x: matches older converter output byte for byte)")
      ->check(CLI::IsMember({"float64", "float32"}));
  sub.footer(
      "PATTERNS: comma-separated whole-name globs with Python fnmatch rules (* also matches '/', ?, [seq], [!seq]),\n"
      "given after '=': --quantize_uint8='conv*/weights,dense*'. A flag without '=' is the fallthrough: it takes\n"
      "every float32 weight that no pattern matched. Only float32 weights are quantized.");
}

Result<Selection> SelectionOf(const QuantizeFlags& f) {
  Selection sel;
  ToRule(f.uint8, &sel.uint8);
  ToRule(f.uint16, &sel.uint16);
  ToRule(f.float16, &sel.float16);
  if (f.quantization_bytes != 0) {
    if (sel.uint8.given || sel.uint16.given || sel.float16.given) {
      return InvalidArgument("--quantization_bytes cannot be used with the new quantization flags");
    }
    Warn("--quantization_bytes is deprecated; use --quantize_uint8 or --quantize_uint16 instead");
    DTypeRule& r = f.quantization_bytes == 1 ? sel.uint8 : sel.uint16;
    r.given = r.fallthrough = true;
  }
  if (!f.skip.empty()) sel.skip = SplitPatterns(f.skip);
  return sel;
}

Result<WriteOptions> WriteOptionsOf(const QuantizeFlags& f) {
  WriteOptions options;
  TFQ_ASSIGN_OR_RETURN(options.shard_size_bytes, ParsePositive("--weight_shard_size_bytes", f.shard_size, "bytes"));
  options.arithmetic = f.arithmetic == "float32" ? Arithmetic::kNumpy1Float32 : Arithmetic::kFloat64;
  return options;
}

}  // namespace tfq::cli
