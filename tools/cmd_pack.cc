// SPDX-License-Identifier: Apache-2.0
// tfjs-quant pack INPUT... OUT [options]: named tensors from PyTorch,
// safetensors, numpy, Keras/HDF5 and ONNX files into tfjs weights (a
// standalone manifest, or a model JSON with the manifest spliced in),
// renamed, transposed and quantized as asked.
#include <fmt/core.h>
#include <sys/resource.h>

#include <filesystem>
#include <memory>
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

// pack keeps one descriptor open per input file until it has written the
// tensors (pack_inputs.h): the soft limit goes up to the hard one, as Node
// and Go programs do at start, so that a thousand .npy files do not fail
// under a soft limit of 1,024 (pack starts no other program that would
// inherit it). Under Node (npx), Node has done it.
void RaiseDescriptorLimit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &r);
  }
}

struct PackArgs {
  std::vector<std::string> paths;  // INPUT... OUT
  std::string name, model_json, prefix, layout, include, exclude;
  bool name_given = false;  // --name '' is refused, not ignored
  std::vector<std::string> renames, transposes;
  bool keep_float16 = false;
  QuantizeFlags quant;
  std::vector<std::string> limits;
  bool force = false;
  WriteArgs write;
};

// What pack's naming flags ask of the core.
Result<PackNaming> NamingOf(const PackArgs& a) {
  if (!a.layout.empty() && a.layout != "torch") {
    return InvalidArgument("--layout " + Quoted(a.layout) + ": the only preset is 'torch'");
  }
  PackNaming n;
  // An empty flag is no pattern (SplitPatterns would make it [""], which
  // matches a tensor without a name and would drop it silently).
  if (!a.include.empty()) n.include = SplitPatterns(a.include);
  if (!a.exclude.empty()) n.exclude = SplitPatterns(a.exclude);
  n.renames = a.renames;
  n.prefix = a.prefix;
  n.transposes = a.transposes;
  n.torch_layout = a.layout == "torch";
  return n;
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
  if (a.name_given && !a.model_json.empty()) {
    return Fail(InvalidArgument("--name names a standalone manifest; with --model-json the model JSON's name is kept"));
  }
  // Before anything is read or written: the names --name makes must be
  // ones the reader (and a browser) takes back.
  if (a.name_given) {
    Status s = CheckManifestStem(a.name);
    if (!s.ok()) return Fail(s.Prefixed("--name"));
  }
  auto naming = NamingOf(a);
  if (!naming.ok()) return Fail(naming.status());

  RaiseDescriptorLimit();
  auto read = ReadPackInputs(inputs, *limits);
  if (!read.ok()) return Fail(read.status());
  auto entries = PlanPackEntries(read->tensors, *naming);
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
  } else if (a.name_given) {
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
  // Packing without quantizing is the common case: only patterns that do
  // nothing are worth a word.
  if (sel->uint8.given || sel->uint16.given || sel->float16.given) {
    for (const auto& w : SelectionWarnings(*om.model, *sel)) Warn(w);
  }
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
  CLI::Option* name = sub.add_option("--name", a->name,
                 "Write NAME-weights_manifest.json and NAME-shard1, ... (face-api.js style) instead of "
                 "weights_manifest.json and group1-shard1of1.bin");
  sub.add_option("--model-json", a->model_json,
                 "A model JSON (layers or graph topology) to write with the packed manifest in it; the weights it "
                 "declares are checked against the packed ones first");
  sub.add_option("--rename", a->renames,
                 "'REGEX=>REPLACEMENT' (RE2 syntax: no backreferences or lookaround; $1 for a group, $& for the "
                 "match; every match replaced, anchor with ^...$ for one) applied to every name; repeatable, in "
                 "order (docs/pack.md)")
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
  return [a, name] {
    a->name_given = name->count() > 0;
    return Run(*a);
  };
}

}  // namespace tfq::cli
