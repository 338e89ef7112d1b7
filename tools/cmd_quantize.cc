// SPDX-License-Identifier: Apache-2.0
// tfjs-quant quantize IN OUT [options]: the converter's quantization flags,
// with the converter's meaning (spec section 4), on an existing tfjs model.
#include <memory>
#include <string>

#include "cli_common.h"
#include "commands.h"

namespace tfq::cli {
namespace {

// The value of a --quantize_* flag that was not given.
constexpr const char* kUnset = "\x02";

struct QuantizeArgs {
  std::string in, out;
  std::string uint8 = kUnset, uint16 = kUnset, float16 = kUnset;
  int quantization_bytes = 0;
  std::string shard_size = "4194304";
  std::vector<std::string> limits;
  std::string skip;
  std::string arithmetic = "float64";
  bool force = false;
  WriteArgs write;
};

// Fills one rule from a flag value (nothing if the flag was not given).
void ToRule(const std::string& v, DTypeRule* rule) {
  if (v == kUnset) return;
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

int Run(const QuantizeArgs& a) {
  Selection sel;
  ToRule(a.uint8, &sel.uint8);
  ToRule(a.uint16, &sel.uint16);
  ToRule(a.float16, &sel.float16);
  if (a.quantization_bytes != 0) {
    if (sel.uint8.given || sel.uint16.given || sel.float16.given) {
      return Fail(InvalidArgument("--quantization_bytes cannot be used with the new quantization flags"));
    }
    Warn("--quantization_bytes is deprecated; use --quantize_uint8 or --quantize_uint16 instead");
    DTypeRule& r = a.quantization_bytes == 1 ? sel.uint8 : sel.uint16;
    r.given = r.fallthrough = true;
  }
  if (!a.skip.empty()) sel.skip = SplitPatterns(a.skip);
  WriteOptions options;
  auto shard_size = ParsePositive("--weight_shard_size_bytes", a.shard_size, "bytes");
  if (!shard_size.ok()) return Fail(shard_size.status());
  options.shard_size_bytes = *shard_size;
  options.arithmetic = a.arithmetic == "float32" ? Arithmetic::kNumpy1Float32 : Arithmetic::kFloat64;

  auto opened = OpenModel(a.in, a.limits);
  if (!opened.ok()) return Fail(opened.status());
  auto plan = Plan(*opened->model, sel);
  if (!plan.ok()) return Fail(plan.status());
  auto report = WriteOutput(*opened, *plan, options, a.out, a.force, a.write.sync, a.write.threads);
  if (!report.ok()) return Fail(report.status());
  for (const auto& w : report->warnings) Warn(w);
  PrintSummary(*opened, *report, a.out);
  return kExitOk;
}

}  // namespace

Runner SetupQuantize(CLI::App& sub) {
  auto a = std::make_shared<QuantizeArgs>();
  sub.add_option("IN", a->in, kModelHelp)->required();
  AddOutputOptions(sub, a->out, a->shard_size, a->force);
  AddWriteOptions(sub, a->write);
  AddLimitOption(sub, a->limits);
  // main() turns a bare flag into "--flag=<kBareFlag>" (see commands.h).
  sub.add_option("--quantize_uint8,--uint8", a->uint8, "Quantize to uint8 (affine min/scale)")->type_name("[=PATTERNS]");
  sub.add_option("--quantize_uint16,--uint16", a->uint16, "Quantize to uint16 (affine min/scale)")
      ->type_name("[=PATTERNS]");
  sub.add_option("--quantize_float16,--float16", a->float16, "Quantize to float16 (IEEE half)")
      ->type_name("[=PATTERNS]");
  sub.add_option("--quantization_bytes", a->quantization_bytes,
                 "Deprecated converter flag: 1 = --quantize_uint8, 2 = --quantize_uint16")
      ->check(CLI::IsMember({1, 2}));
  sub.add_option("--skip", a->skip, "Comma-separated patterns of weights to keep as stored, whatever else matches");
  sub.add_option("--arithmetic", a->arithmetic,
                 "float64 (numpy >= 2, default) or float32 (numpy 1.x: matches older converter output byte for byte)")
      ->check(CLI::IsMember({"float64", "float32"}));
  sub.footer(
      "PATTERNS: comma-separated whole-name globs with Python fnmatch rules (* also matches '/', ?, [seq], [!seq]),\n"
      "given after '=': --quantize_uint8='conv*/weights,dense*'. A flag without '=' is the fallthrough: it takes\n"
      "every float32 weight that no pattern matched. Only float32 weights are quantized.");
  return [a] { return Run(*a); };
}

}  // namespace tfq::cli
