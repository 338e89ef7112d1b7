// SPDX-License-Identifier: Apache-2.0
// Validates the manifest against what tfjs's loaders accept and against the
// caller's Limits, so a model we read is a model tfjs can read, nothing is
// allocated from an unchecked count, and each error names the JSON location.
#include <cmath>
#include <limits>
#include <unordered_map>

#include "json/json.h"
#include "tfjs_quant/manifest.h"
#include "tfjs_quant/text.h"

namespace tfq {
namespace {

using json::Json;

// Dimensions above this are refused: tfjs shapes are JS numbers, exact only
// up to 2^53 (and a larger one could not be stored as int64 either).
constexpr uint64_t kMaxDim = uint64_t{1} << 53;

// The file being parsed and its limits; errors start with the file name.
struct Context {
  std::string file;  // already made printable
  const Limits& limits;
  uint64_t weights = 0, shards = 0;  // seen so far, across groups

  // `limit`: for kLimitExceeded, the limit's name (status.h).
  Status Err(StatusCode code, const std::string& where, const std::string& what, std::string_view limit = {}) const {
    return Status(code, file + ": " + where + ": " + what, limit);
  }
};

std::string Found(const Json& j, Json::const_iterator it) { return it == j.end() ? "nothing" : json::Describe(*it); }

Status ParseQuantization(const Context& c, const Json& q, const std::string& where, WeightEntry& e) {
  if (q.is_null()) {
    return c.Err(StatusCode::kFormatError, where, "\"quantization\" is null (tfjs crashes on it); omit the key instead");
  }
  if (!q.is_object()) return c.Err(StatusCode::kFormatError, where, "expected an object, found " + json::Describe(q));
  auto dt = q.find("dtype");
  if (dt == q.end() || !dt->is_string()) {
    return c.Err(StatusCode::kFormatError, where + ".dtype",
                 "expected \"uint8\", \"uint16\" or \"float16\", found " + Found(q, dt));
  }
  auto enc = ParseQuantizationDType(dt->get_ref<const std::string&>());
  if (!enc) {
    return c.Err(StatusCode::kUnsupported, where + ".dtype",
                 "weight " + Quoted(e.name) + " has unknown quantization dtype " + json::Describe(*dt) +
                     "; tfjs supports \"uint8\", \"uint16\" and \"float16\"");
  }
  Quantization out;
  out.dtype = *enc;
  if (*enc == Encoding::kFloat16) {
    if (e.dtype != DType::kFloat32) {
      return c.Err(StatusCode::kUnsupported, where,
                   "weight " + Quoted(e.name) + " is quantized with float16, which tfjs supports only for float32, not " +
                       std::string(DTypeName(e.dtype)));
    }
  } else {
    if (e.dtype != DType::kFloat32 && e.dtype != DType::kInt32) {
      return c.Err(StatusCode::kUnsupported, where,
                   "weight " + Quoted(e.name) + " of dtype " + std::string(DTypeName(e.dtype)) +
                       " cannot be quantized (tfjs: Unsupported dtype)");
    }
    for (const char* key : {"min", "scale"}) {
      auto it = q.find(key);
      if (it == q.end()) {
        return c.Err(StatusCode::kFormatError, where,
                     "weight " + Quoted(e.name) + " is quantized to " + std::string(EncodingName(*enc)) +
                         " but has no \"" + key + "\"");
      }
      // Non-finite numbers cannot reach here: the parser refuses NaN,
      // Infinity and overflowing literals.
      if (!it->is_number()) {
        return c.Err(StatusCode::kFormatError, where + "." + key, "expected a finite number, found " + json::Describe(*it));
      }
      (std::string_view(key) == "min" ? out.min : out.scale) = it->get<double>();
    }
  }
  e.quantization = out;
  return Status::Ok();
}

Status ParseShape(const Context& c, const Json& s, const std::string& where, WeightEntry& e) {
  if (!s.is_array()) {
    return c.Err(StatusCode::kFormatError, where, "expected a list of non-negative integers, found " + json::Describe(s));
  }
  if (s.size() > c.limits.rank) {
    return c.Err(StatusCode::kLimitExceeded, where,
                 "weight " + Quoted(e.name) + " has " + std::to_string(s.size()) + " dimensions, more than " +
                     LimitText("rank", c.limits.rank) + " allows",
                 "rank");
  }
  uint64_t n = 1;
  bool overflow = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const Json& d = s[i];
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (!d.is_number_integer() || (!d.is_number_unsigned() && d.get<int64_t>() < 0)) {
      return c.Err(StatusCode::kFormatError, at, "expected a non-negative integer dimension, found " + json::Describe(d));
    }
    const uint64_t dim = d.get<uint64_t>();
    if (dim > kMaxDim) {
      return c.Err(StatusCode::kFormatError, at,
                   "dimension " + std::to_string(dim) + " of weight " + Quoted(e.name) +
                       " is larger than 2^53 (tfjs shapes are JavaScript numbers)");
    }
    // Multiply with a saturating check; a zero dimension later still makes
    // the product 0, which is the true element count.
    if (dim != 0 && n > std::numeric_limits<uint64_t>::max() / dim) overflow = true;
    n = overflow ? std::numeric_limits<uint64_t>::max() : n * dim;
    e.shape.push_back(static_cast<int64_t>(dim));
  }
  for (int64_t dim : e.shape)
    if (dim == 0) n = 0;
  // A Limits set by hand may exceed kMaxTensorElements; the byte
  // arithmetic everywhere relies on it.
  const uint64_t max = std::min(c.limits.tensor_elements, kMaxTensorElements);
  if (n > max) {
    return c.Err(StatusCode::kLimitExceeded, where,
                 "weight " + Quoted(e.name) + " has " + (overflow && n != 0 ? "at least 2^64" : std::to_string(n)) +
                     " elements, more than " + LimitText("tensor_elements", max) + " allows",
                 "tensor_elements");
  }
  e.num_elements = n;
  return Status::Ok();
}

Status ParseEntry(const Context& c, const Json& w, const std::string& where, WeightEntry& e) {
  if (!w.is_object()) return c.Err(StatusCode::kFormatError, where, "expected an object, found " + json::Describe(w));
  auto name = w.find("name");
  if (name == w.end() || !name->is_string()) {
    return c.Err(StatusCode::kFormatError, where + ".name", "expected a string, found " + Found(w, name));
  }
  e.name = name->get<std::string>();
  e.location = where;
  auto dt = w.find("dtype");
  if (dt == w.end() || !dt->is_string()) {
    return c.Err(StatusCode::kFormatError, where + ".dtype",
                 "weight " + Quoted(e.name) + ": expected a dtype string, found " + Found(w, dt));
  }
  auto d = ParseDType(dt->get_ref<const std::string&>());
  if (!d) {
    return c.Err(StatusCode::kUnsupported, where + ".dtype",
                 "weight " + Quoted(e.name) + " has unknown dtype " + json::Describe(*dt) +
                     "; tfjs supports float32, int32, bool, string and complex64");
  }
  e.dtype = *d;
  auto shape = w.find("shape");
  if (shape == w.end()) return c.Err(StatusCode::kFormatError, where, "weight " + Quoted(e.name) + " has no \"shape\"");
  TFQ_RETURN_IF_ERROR(ParseShape(c, *shape, where + ".shape", e));
  if (auto q = w.find("quantization"); q != w.end()) {
    TFQ_RETURN_IF_ERROR(ParseQuantization(c, *q, where + ".quantization", e));
  }
  for (const auto& [key, value] : w.items()) e.members.emplace_back(key, json::DumpPython(value));
  return Status::Ok();
}

Status ParseGroup(Context& c, const Json& gj, const std::string& gw, WeightGroup& group,
                  std::unordered_map<std::string, std::string>& seen) {
  if (!gj.is_object()) return c.Err(StatusCode::kFormatError, gw, "expected a group object, found " + json::Describe(gj));
  auto paths = gj.find("paths");
  if (paths == gj.end() || !paths->is_array()) {
    return c.Err(StatusCode::kFormatError, gw + ".paths", "expected a list of shard file names, found " + Found(gj, paths));
  }
  c.shards += paths->size();
  if (c.shards > c.limits.shards) {
    return c.Err(StatusCode::kLimitExceeded, gw + ".paths",
                 "more than " + std::to_string(c.limits.shards) + " shard files in all exceed " +
                     LimitText("shards", c.limits.shards),
                 "shards");
  }
  for (size_t p = 0; p < paths->size(); ++p) {
    const Json& pj = (*paths)[p];
    const std::string pw = gw + ".paths[" + std::to_string(p) + "]";
    if (!pj.is_string()) return c.Err(StatusCode::kFormatError, pw, "expected a file name, found " + json::Describe(pj));
    auto checked = CheckRelativePath(pj.get_ref<const std::string&>());
    if (!checked.ok()) return checked.status().Prefixed(c.file + ": " + pw);
    group.paths.push_back(pj.get<std::string>());
    group.files.push_back(std::move(checked).value());
  }
  auto weights = gj.find("weights");
  if (weights == gj.end() || !weights->is_array()) {
    return c.Err(StatusCode::kFormatError, gw + ".weights", "expected a list of weight entries, found " + Found(gj, weights));
  }
  for (size_t i = 0; i < weights->size(); ++i) {
    const std::string ew = gw + ".weights[" + std::to_string(i) + "]";
    if (++c.weights > c.limits.weights) {
      return c.Err(StatusCode::kLimitExceeded, ew,
                   "more than " + std::to_string(c.limits.weights) + " weights exceed " +
                       LimitText("weights", c.limits.weights),
                   "weights");
    }
    WeightEntry e;
    TFQ_RETURN_IF_ERROR(ParseEntry(c, (*weights)[i], ew, e));
    auto [it, inserted] = seen.emplace(e.name, ew);
    if (!inserted) {
      return c.Err(StatusCode::kFormatError, ew,
                   "duplicate weight name " + Quoted(e.name) + " (also at " + it->second +
                       "); tfjs would silently keep only the last one");
    }
    group.weights.push_back(std::move(e));
  }
  return Status::Ok();
}

Status ParseGroups(Context& c, const Json& m, const std::string& where, std::vector<WeightGroup>& groups) {
  if (!m.is_array()) {
    return c.Err(StatusCode::kFormatError, where.empty() ? "top level" : where,
                 "expected a list of weight groups, found " + json::Describe(m));
  }
  if (m.size() > c.limits.groups) {
    return c.Err(StatusCode::kLimitExceeded, where.empty() ? "top level" : where,
                 std::to_string(m.size()) + " weight groups exceed " + LimitText("groups", c.limits.groups), "groups");
  }
  std::unordered_map<std::string, std::string> seen;  // name -> location
  groups.resize(m.size());
  for (size_t g = 0; g < m.size(); ++g) {
    TFQ_RETURN_IF_ERROR(ParseGroup(c, m[g], where + "[" + std::to_string(g) + "]", groups[g], seen));
  }
  return Status::Ok();
}

// What the parser keeps of a model.json: format, the manifest, and the op
// and inputs of each graph node (to find depthwise kernels). A standalone
// manifest (a list at the top) is kept whole.
enum Tag : int { kRoot = 1, kTopology, kNodes, kNode };
int KeepForModel(int parent, std::optional<std::string_view> key) {
  switch (parent) {
    case kRoot:
      if (!key) return json::Filter::kKeepAll;
      if (*key == "format" || *key == "weightsManifest") return json::Filter::kKeepAll;
      return *key == "modelTopology" ? kTopology : json::Filter::kDrop;
    case kTopology: return key && *key == "node" ? kNodes : json::Filter::kDrop;
    case kNodes: return key ? json::Filter::kDrop : kNode;
    case kNode: return key && (*key == "op" || *key == "input") ? json::Filter::kKeepAll : json::Filter::kDrop;
  }
  return json::Filter::kDrop;
}
constexpr json::Filter kModelFilter{kRoot, KeepForModel};

// Names of the weights graph nodes feed to depthwise convolutions: the
// second input of a *DepthwiseConv2d* node, without its ":0" output index.
std::vector<std::string> DepthwiseWeights(const Json& root) {
  std::vector<std::string> out;
  auto topo = root.find("modelTopology");
  if (topo == root.end() || !topo->is_object()) return out;
  auto nodes = topo->find("node");
  if (nodes == topo->end() || !nodes->is_array()) return out;
  for (const auto& n : *nodes) {
    if (!n.is_object()) continue;
    auto op = n.find("op");
    auto in = n.find("input");
    if (op == n.end() || !op->is_string() || in == n.end() || !in->is_array() || in->size() < 2) continue;
    if (op->get_ref<const std::string&>().find("DepthwiseConv2d") == std::string::npos) continue;
    if (!(*in)[1].is_string()) continue;
    std::string w = (*in)[1].get<std::string>();
    if (auto colon = w.find(':'); colon != std::string::npos) w.resize(colon);
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace

Result<ModelFile> ParseModelFile(std::string text, std::string_view file_name, const Limits& limits) {
  Context c{Printable(file_name), limits};
  if (text.size() > limits.json_bytes) {
    return LimitExceeded(c.file + ": " + Bytes(text.size()) + " of JSON exceed " +
                         LimitText("json_bytes", limits.json_bytes), "json_bytes");
  }
  json::ParseOptions options;
  options.max_depth = limits.json_depth;
  options.filter = &kModelFilter;
  TFQ_ASSIGN_OR_RETURN(Json root, json::Parse(text, c.file, options));
  ModelFile mf;
  mf.file_name = std::string(file_name);
  if (root.is_array()) {
    mf.kind = ModelKind::kStandaloneManifest;
    TFQ_RETURN_IF_ERROR(ParseGroups(c, root, "", mf.groups));
    auto span = json::RootValueSpan(text);
    mf.manifest_begin = span.first;
    mf.manifest_end = span.second;
  } else if (root.is_object()) {
    mf.kind = ModelKind::kModelJson;
    auto wm = root.find("weightsManifest");
    if (wm == root.end()) {
      return c.Err(StatusCode::kFormatError, "top level",
                   "no \"weightsManifest\" key; expected a tfjs model.json (or a standalone weights manifest list)");
    }
    if (auto f = root.find("format"); f != root.end() && f->is_string()) mf.format = Printable(f->get<std::string>(), 64);
    TFQ_RETURN_IF_ERROR(ParseGroups(c, *wm, "weightsManifest", mf.groups));
    auto span = json::TopLevelMemberSpan(text, "weightsManifest");
    if (!span) return c.Err(StatusCode::kInternal, "weightsManifest", "could not locate the manifest in the text");
    mf.manifest_begin = span->first;
    mf.manifest_end = span->second;
    mf.depthwise_weights = DepthwiseWeights(root);
  } else {
    return c.Err(StatusCode::kFormatError, "top level",
                 "expected a model.json object or a weights manifest list, found " + json::Describe(root));
  }
  mf.text = std::move(text);
  return mf;
}

}  // namespace tfq
