// SPDX-License-Identifier: Apache-2.0
// tfjs-quant pack INPUT... OUT [options]: named tensors from PyTorch,
// safetensors, numpy, Keras/HDF5 and ONNX files into tfjs weights (a
// standalone manifest, or a model JSON with the manifest spliced in),
// renamed, transposed and quantized as asked.
#include <fmt/core.h>

#include <charconv>
#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "cli_common.h"
#include "commands.h"
#include "pack_inputs.h"
#include "quantize_flags.h"
#include "tfjs_quant/packed.h"
#include "tfjs_quant/text.h"

namespace tfq::cli {
namespace fs = std::filesystem;
namespace {

struct PackArgs {
  std::vector<std::string> paths;  // INPUT... OUT
  std::string name, model_json, prefix, layout, include, exclude;
  std::vector<std::string> renames, transposes;
  bool keep_float16 = false;
  QuantizeFlags quant;
  std::vector<std::string> limits;
  bool force = false;
  WriteArgs write;
};

struct Rename {
  std::regex re;
  std::string replacement;
};

struct Transpose {
  std::string pattern;
  std::vector<int> perm;
};

Result<std::vector<Rename>> ParseRenames(const std::vector<std::string>& specs) {
  std::vector<Rename> out;
  for (const std::string& s : specs) {
    const size_t arrow = s.find("=>");
    if (arrow == std::string::npos) {
      return InvalidArgument("--rename " + Quoted(s) + ": expected 'REGEX=>REPLACEMENT'");
    }
    try {
      out.push_back({std::regex(s.substr(0, arrow), std::regex::ECMAScript), s.substr(arrow + 2)});
    } catch (const std::regex_error& e) {
      return InvalidArgument("--rename " + Quoted(s) + ": not a valid regular expression (" + e.what() + ")");
    }
  }
  return out;
}

Result<std::vector<Transpose>> ParseTransposes(const std::vector<std::string>& specs) {
  std::vector<Transpose> out;
  for (const std::string& s : specs) {
    const size_t eq = s.rfind('=');
    Transpose t;
    bool ok = eq != std::string::npos && eq > 0 && eq + 1 < s.size();
    if (ok) {
      t.pattern = s.substr(0, eq);
      for (const std::string& axis : SplitPatterns(s.substr(eq + 1))) {
        int v = -1;
        auto [end, ec] = std::from_chars(axis.data(), axis.data() + axis.size(), v);
        if (axis.empty() || ec != std::errc() || end != axis.data() + axis.size() || v < 0 || v > 64) {
          ok = false;
          break;
        }
        t.perm.push_back(v);
      }
    }
    if (!ok) return InvalidArgument("--transpose " + Quoted(s) + ": expected 'PATTERN=PERM', e.g. '*.weight=2,3,1,0'");
    out.push_back(std::move(t));
  }
  return out;
}

// Which source tensors become which tfjs weights.
Result<std::vector<PackEntry>> PlanEntries(const PackArgs& a, const std::vector<SourceTensor>& sources) {
  TFQ_ASSIGN_OR_RETURN(auto renames, ParseRenames(a.renames));
  TFQ_ASSIGN_OR_RETURN(auto transposes, ParseTransposes(a.transposes));
  if (!a.layout.empty() && a.layout != "torch") {
    return InvalidArgument("--layout " + Quoted(a.layout) + ": the only preset is 'torch'");
  }
  const auto include = SplitPatterns(a.include), exclude = SplitPatterns(a.exclude);
  auto any = [](const std::vector<std::string>& patterns, const std::string& name) {
    for (const auto& p : patterns)
      if (GlobMatch(p, name)) return true;
    return false;
  };
  std::vector<PackEntry> entries;
  for (size_t i = 0; i < sources.size(); ++i) {
    const SourceTensor& s = sources[i];
    if (!a.include.empty() && !any(include, s.name)) continue;
    if (any(exclude, s.name)) continue;
    // A PyTorch BatchNorm's step counter is no weight of a tfjs layer.
    if (a.layout == "torch" && s.name.ends_with("num_batches_tracked")) continue;
    TFQ_RETURN_IF_ERROR(CheckTensorName(s.name, s.origin));  // before any regular expression sees it
    PackEntry e;
    e.source = i;
    e.name = s.name;
    for (const Rename& r : renames) e.name = std::regex_replace(e.name, r.re, r.replacement);
    e.name = a.prefix + e.name;
    bool matched = false;
    for (const Transpose& t : transposes) {
      if (GlobMatch(t.pattern, s.name)) {
        e.perm = t.perm;
        matched = true;
        break;
      }
    }
    if (!matched && a.layout == "torch") e.perm = TorchLayoutPermutation(s.name, s.shape);
    entries.push_back(std::move(e));
  }
  if (entries.empty()) return InvalidArgument("no tensor left to pack (check --include and --exclude)");
  return entries;
}

int Run(const PackArgs& a) {
  if (a.paths.size() < 2) return Fail(InvalidArgument("pack needs at least one INPUT and an OUT folder"));
  const std::vector<std::string> inputs(a.paths.begin(), a.paths.end() - 1);
  const std::string& out = a.paths.back();
  auto sel = SelectionOf(a.quant);
  if (!sel.ok()) return Fail(sel.status());
  auto options = WriteOptionsOf(a.quant);
  if (!options.ok()) return Fail(options.status());
  auto limits = ParseLimits(a.limits);
  if (!limits.ok()) return Fail(limits.status());
  if (!a.name.empty() && !a.model_json.empty()) {
    return Fail(InvalidArgument("--name names a standalone manifest; with --model-json the model JSON's name is kept"));
  }
  if (!a.name.empty() && (a.name.find_first_of("/\\") != std::string::npos || a.name == "." || a.name == "..")) {
    return Fail(InvalidArgument("--name " + Quoted(a.name) + ": expected a plain file name stem"));
  }

  auto read = ReadPackInputs(inputs, *limits);
  if (!read.ok()) return Fail(read.status());
  auto entries = PlanEntries(a, read->tensors);
  if (!entries.ok()) return Fail(entries.status());

  PackOptions pack;
  pack.keep_float16 = a.keep_float16;
  OpenedModel om;
  om.inputs = read->inputs;
  if (!a.model_json.empty()) {
    auto text = ReadModelJson(a.model_json, limits->json_bytes, "json_bytes");
    if (!text.ok()) return Fail(text.status());
    pack.model_json = std::move(*text);
    pack.json_name = fs::path(a.model_json).filename().string();
    om.inputs.files.push_back(a.model_json);
  } else if (!a.name.empty()) {
    pack.json_name = a.name + "-weights_manifest.json";
    options->shard_stem = a.name;
  }
  auto packed = PackedFiles::Create(std::move(read->tensors), std::move(*entries), pack, *limits);
  if (!packed.ok()) return Fail(packed.status());
  auto model = Model::Open(**packed, pack.json_name, *limits);
  if (!model.ok()) return Fail(model.status());
  if (pack.model_json) {  // Create took the options by reference: the text is still here
    Status s = CheckPackedWeights(*pack.model_json, a.model_json, *model, *limits);
    if (!s.ok()) return Fail(s);
  }
  om.model = std::make_unique<Model>(std::move(model).value());
  om.source = std::move(packed).value();
  om.shown = inputs.size() == 1 ? Printable(inputs[0], 300) : std::to_string(inputs.size()) + " inputs";

  auto plan = Plan(*om.model, *sel);
  if (!plan.ok()) return Fail(plan.status());
  auto report = WriteOutput(om, *plan, *options, out, a.force, a.write.sync, a.write.threads);
  if (!report.ok()) return Fail(report.status());
  for (const auto& w : report->warnings) Warn(w);
  PrintSummary(om, *report, out);
  return kExitOk;
}

}  // namespace

Runner SetupPack(CLI::App& sub) {
  auto a = std::make_shared<PackArgs>();
  sub.add_option("INPUT... OUT", a->paths,
                 "Files to read (.pt .pth .bin .ckpt .safetensors .npy .npz .h5 .hdf5 .keras .onnx), then the new output "
                 "folder")
      ->required()
      ->expected(2, -1);
  sub.add_option("--name", a->name,
                 "Write NAME-weights_manifest.json and NAME-shard1, ... (face-api.js style) instead of "
                 "weights_manifest.json and group1-shard1of1.bin");
  sub.add_option("--model-json", a->model_json,
                 "A model JSON (layers or graph topology) to write with the packed manifest in it; the weights it "
                 "declares are checked against the packed ones first");
  sub.add_option("--rename", a->renames,
                 "'REGEX=>REPLACEMENT' (ECMAScript syntax, $1 for groups; every match replaced, anchor with ^...$ for "
                 "one) applied to every name; repeatable, in order")
      ->type_name("'REGEX=>REPL'");
  sub.add_option("--prefix", a->prefix, "Put PREFIX before every name (after --rename)");
  sub.add_option("--transpose", a->transposes,
                 "'PATTERN=PERM': permute the axes of tensors whose input name matches (output axis i = input axis "
                 "PERM[i]), e.g. '*conv*.weight=2,3,1,0'; repeatable, the first match wins")
      ->type_name("'PATTERN=PERM'");
  sub.add_option("--layout", a->layout,
                 "'torch': transpose PyTorch conv (OIHW -> HWIO), depthwise (named *depthwise* or with a 'dw' part) and "
                 "Linear .weight ([out,in] -> [in,out]) tensors by rank and name, and leave out num_batches_tracked; "
                 "--transpose wins over it");
  sub.add_option("--include", a->include, "Comma-separated patterns: pack only tensors whose input name matches");
  sub.add_option("--exclude", a->exclude, "Comma-separated patterns: leave out tensors whose input name matches");
  sub.add_flag("--keep-float16", a->keep_float16,
               "Store float16 inputs as float16 (tfjs decodes them to float32) instead of widening them");
  // OUT is the last of the positionals: only the shard size and --force.
  std::string unused_out;
  AddOutputOptions(sub, unused_out, a->quant.shard_size, a->force);
  sub.remove_option(sub.get_option("OUT"));
  AddWriteOptions(sub, a->write);
  AddLimitOption(sub, a->limits);
  AddQuantizeFlags(sub, a->quant);
  return [a] { return Run(*a); };
}

}  // namespace tfq::cli
