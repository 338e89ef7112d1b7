// SPDX-License-Identifier: Apache-2.0
// PlanPackEntries (tfjs_quant/packed.h): which source tensors are packed,
// under which names, in which axis order.
#include <charconv>

#include "pack/rename.h"
#include "tfjs_quant/manifest.h"
#include "tfjs_quant/packed.h"
#include "tfjs_quant/select.h"
#include "tfjs_quant/text.h"

namespace tfq {

namespace {

struct Transpose {
  std::string pattern;
  std::vector<int> perm;
};

Result<Transpose> ParseTranspose(std::string_view spec) {
  const size_t eq = spec.rfind('=');
  Transpose t;
  bool ok = eq != std::string_view::npos && eq > 0 && eq + 1 < spec.size();
  if (ok) {
    t.pattern = std::string(spec.substr(0, eq));
    for (const std::string& axis : SplitPatterns(spec.substr(eq + 1))) {
      int v = -1;
      auto [end, ec] = std::from_chars(axis.data(), axis.data() + axis.size(), v);
      if (axis.empty() || ec != std::errc() || end != axis.data() + axis.size() || v < 0 || v > 64) {
        ok = false;
        break;
      }
      t.perm.push_back(v);
    }
  }
  if (!ok) return InvalidArgument("transpose " + Quoted(spec) + ": expected 'PATTERN=PERM', e.g. '*.weight=2,3,1,0'");
  return t;
}

bool AnyMatch(const std::vector<std::string>& patterns, std::string_view name) {
  for (const std::string& p : patterns)
    if (GlobMatch(p, name)) return true;
  return false;
}

// `name` through every rename, checked after each: no rename can make a
// name that a later one (or the manifest) would choke on. A name a rename
// spoils is the rename's fault, and said so.
Result<std::string> Renamed(const SourceTensor& s, const std::vector<Rename>& renames) {
  std::string name = s.name;
  for (const Rename& r : renames) {
    auto renamed = r.Apply(name, kMaxTensorName);
    if (!renamed.ok()) return renamed.status().Prefixed(Quoted(s.name) + " from " + s.origin);
    name = std::move(renamed).value();
    if (name.empty()) {
      return InvalidArgument("rename " + Quoted(r.spec()) + " leaves " + Quoted(s.name) + " from " + s.origin +
                             " with an empty name");
    }
    if (!IsUtf8(name)) {
      // \C matches a single byte: a character can be cut in two.
      return InvalidArgument("rename " + Quoted(r.spec()) + " makes " + Quoted(s.name) + " from " + s.origin +
                             " into " + Quoted(name) + ", which is not UTF-8");
    }
  }
  return name;
}

}  // namespace

Status CheckManifestStem(std::string_view stem) {
  if (stem.empty()) return InvalidArgument("an empty name stem names no file");
  for (const std::string& file : {std::string(stem) + "-weights_manifest.json", std::string(stem) + "-shard1"}) {
    Status s = CheckOutputFileName(file);
    if (!s.ok()) return InvalidArgument("the name stem " + Quoted(stem) + " is refused: " + s.message());
  }
  return Status::Ok();
}

Result<std::vector<PackEntry>> PlanPackEntries(std::span<const SourceTensor> sources, const PackNaming& naming) {
  if (!IsUtf8(naming.prefix)) return InvalidArgument("the prefix " + Quoted(naming.prefix) + " is not UTF-8");
  std::vector<Rename> renames;
  for (const std::string& spec : naming.renames) {
    TFQ_ASSIGN_OR_RETURN(Rename r, Rename::Compile(spec));
    renames.push_back(std::move(r));
  }
  std::vector<Transpose> transposes;
  for (const std::string& spec : naming.transposes) {
    TFQ_ASSIGN_OR_RETURN(Transpose t, ParseTranspose(spec));
    transposes.push_back(std::move(t));
  }
  if (sources.empty()) return FormatError("the inputs hold no tensor to pack");
  std::vector<PackEntry> entries;
  for (size_t i = 0; i < sources.size(); ++i) {
    const SourceTensor& s = sources[i];
    if (!naming.include.empty() && !AnyMatch(naming.include, s.name)) continue;
    if (AnyMatch(naming.exclude, s.name)) continue;
    // A PyTorch BatchNorm's step counter is no weight of a tfjs layer.
    if (naming.torch_layout && s.name.ends_with("num_batches_tracked")) continue;
    TFQ_RETURN_IF_ERROR(CheckTensorName(s.name, s.origin));  // before any regular expression sees it
    PackEntry e;
    e.source = i;
    TFQ_ASSIGN_OR_RETURN(e.name, Renamed(s, renames));
    if (e.name.size() + naming.prefix.size() > kMaxTensorName) {
      return InvalidArgument("the prefix makes the name " + Quoted(e.name) + " from " + s.origin + " longer than " +
                             Bytes(kMaxTensorName));
    }
    e.name = naming.prefix + e.name;
    const Transpose* t = nullptr;
    for (const Transpose& candidate : transposes) {
      if (GlobMatch(candidate.pattern, s.name)) {
        t = &candidate;
        break;
      }
    }
    if (t) e.perm = t->perm;
    else if (naming.torch_layout) e.perm = TorchLayoutPermutation(s.name, s.shape);
    entries.push_back(std::move(e));
  }
  if (entries.empty()) {
    return InvalidArgument("no tensor left to pack: the include and exclude patterns leave out all " +
                           std::to_string(sources.size()) + " tensors");
  }
  return entries;
}

}  // namespace tfq
