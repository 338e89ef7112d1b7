// SPDX-License-Identifier: Apache-2.0
// Validates the manifest against what tfjs's loaders accept, so a model we
// read is a model tfjs can read, and each error names the JSON location.
#include <cmath>
#include <limits>
#include <unordered_map>

#include "json/json.h"
#include "tfjs_quant/io.h"
#include "tfjs_quant/manifest.h"

namespace tfq {
namespace {

using json::Json;

// Weights above this are refused: JS typed arrays and our offsets use
// doubles/uint64; 2^53 keeps every byte offset exact in both.
constexpr uint64_t kMaxBytes = uint64_t{1} << 53;

struct Ctx {
  std::string file;
  Status Err(StatusCode code, const std::string& where, const std::string& what) const {
    return Status(code, file + ": " + where + ": " + what);
  }
};

Status ParseQuantization(const Ctx& c, const Json& q, const std::string& where, WeightEntry& e) {
  if (q.is_null()) {
    return c.Err(StatusCode::kFormatError, where,
                 "\"quantization\" is null (tfjs crashes on it); omit the key instead");
  }
  if (!q.is_object()) {
    return c.Err(StatusCode::kFormatError, where, "expected an object, found " + json::Describe(q));
  }
  auto dt = q.find("dtype");
  if (dt == q.end() || !dt->is_string()) {
    return c.Err(StatusCode::kFormatError, where + ".dtype",
                 "expected \"uint8\", \"uint16\" or \"float16\", found " +
                     (dt == q.end() ? std::string("nothing") : json::Describe(*dt)));
  }
  auto enc = ParseQuantizationDType(dt->get_ref<const std::string&>());
  if (!enc) {
    return c.Err(StatusCode::kUnsupported, where + ".dtype",
                 "weight '" + e.name + "' has unknown quantization dtype " + json::Describe(*dt) +
                     "; tfjs supports \"uint8\", \"uint16\" and \"float16\"");
  }
  Quantization out;
  out.dtype = *enc;
  if (*enc == Encoding::kFloat16) {
    if (e.dtype != DType::kFloat32) {
      return c.Err(StatusCode::kUnsupported, where,
                   "weight '" + e.name + "' is quantized with float16, which tfjs supports only for float32, not " +
                       std::string(DTypeName(e.dtype)));
    }
  } else {
    if (e.dtype != DType::kFloat32 && e.dtype != DType::kInt32) {
      return c.Err(StatusCode::kUnsupported, where,
                   "weight '" + e.name + "' of dtype " + std::string(DTypeName(e.dtype)) +
                       " cannot be quantized (tfjs: Unsupported dtype)");
    }
    for (const char* key : {"min", "scale"}) {
      auto it = q.find(key);
      if (it == q.end()) {
        return c.Err(StatusCode::kFormatError, where,
                     "weight '" + e.name + "' is quantized to " + dt->get<std::string>() + " but has no \"" + key + "\"");
      }
      if (!it->is_number()) {
        return c.Err(StatusCode::kFormatError, where + "." + key,
                     "expected a finite number, found " + json::Describe(*it));
      }
      double v = it->get<double>();
      if (!std::isfinite(v)) {
        return c.Err(StatusCode::kFormatError, where + "." + key, "expected a finite number, found " + it->dump());
      }
      (std::string_view(key) == "min" ? out.min : out.scale) = v;
    }
  }
  e.quantization = out;
  return Status::Ok();
}

Status ParseShape(const Ctx& c, const Json& s, const std::string& where, WeightEntry& e) {
  if (!s.is_array()) {
    return c.Err(StatusCode::kFormatError, where, "expected a list of non-negative integers, found " + json::Describe(s));
  }
  uint64_t n = 1;
  for (size_t i = 0; i < s.size(); ++i) {
    const Json& d = s[i];
    if (!d.is_number_integer() || (d.is_number_integer() && !d.is_number_unsigned() && d.get<int64_t>() < 0)) {
      return c.Err(StatusCode::kFormatError, where + "[" + std::to_string(i) + "]",
                   "expected a non-negative integer dimension, found " + json::Describe(d));
    }
    uint64_t dim = d.get<uint64_t>();
    if (dim != 0 && n > kMaxBytes / dim) {
      return c.Err(StatusCode::kFormatError, where, "weight '" + e.name + "' has more than 2^53 elements");
    }
    n *= dim;
    e.shape.push_back(static_cast<int64_t>(dim));
  }
  e.num_elements = n;
  return Status::Ok();
}

Status ParseEntry(const Ctx& c, const Json& w, const std::string& where, WeightEntry& e) {
  if (!w.is_object()) return c.Err(StatusCode::kFormatError, where, "expected an object, found " + json::Describe(w));
  auto name = w.find("name");
  if (name == w.end() || !name->is_string()) {
    return c.Err(StatusCode::kFormatError, where + ".name",
                 "expected a string, found " + (name == w.end() ? std::string("nothing") : json::Describe(*name)));
  }
  e.name = name->get<std::string>();
  e.location = where;
  auto dt = w.find("dtype");
  if (dt == w.end() || !dt->is_string()) {
    return c.Err(StatusCode::kFormatError, where + ".dtype",
                 "weight '" + e.name + "': expected a dtype string, found " +
                     (dt == w.end() ? std::string("nothing") : json::Describe(*dt)));
  }
  auto d = ParseDType(dt->get_ref<const std::string&>());
  if (!d) {
    return c.Err(StatusCode::kUnsupported, where + ".dtype",
                 "weight '" + e.name + "' has unknown dtype " + json::Describe(*dt) +
                     "; tfjs supports float32, int32, bool, string and complex64");
  }
  e.dtype = *d;
  auto shape = w.find("shape");
  if (shape == w.end()) return c.Err(StatusCode::kFormatError, where, "weight '" + e.name + "' has no \"shape\"");
  TFQ_RETURN_IF_ERROR(ParseShape(c, *shape, where + ".shape", e));
  if (auto q = w.find("quantization"); q != w.end()) {
    TFQ_RETURN_IF_ERROR(ParseQuantization(c, *q, where + ".quantization", e));
  }
  bool variable = false;
  uint64_t per = e.quantization ? EncodingElementBytes(e.quantization->dtype) : DTypeElementBytes(e.dtype);
  (void)variable;
  if (per != 0 && e.num_elements > kMaxBytes / per) {
    return c.Err(StatusCode::kFormatError, where, "weight '" + e.name + "' is larger than 2^53 bytes");
  }
  e.json = json::DumpPython(w);
  return Status::Ok();
}

Status ParseGroups(const Ctx& c, const Json& m, const std::string& where, std::vector<WeightGroup>& groups) {
  if (!m.is_array()) {
    return c.Err(StatusCode::kFormatError, where.empty() ? "top level" : where,
                 "expected a list of weight groups, found " + json::Describe(m));
  }
  std::unordered_map<std::string, std::string> seen;  // name -> location
  for (size_t g = 0; g < m.size(); ++g) {
    const std::string gw = where + "[" + std::to_string(g) + "]";
    const Json& gj = m[g];
    if (!gj.is_object()) return c.Err(StatusCode::kFormatError, gw, "expected a group object, found " + json::Describe(gj));
    WeightGroup group;
    auto paths = gj.find("paths");
    if (paths == gj.end() || !paths->is_array()) {
      return c.Err(StatusCode::kFormatError, gw + ".paths",
                   "expected a list of shard file names, found " +
                       (paths == gj.end() ? std::string("nothing") : json::Describe(*paths)));
    }
    for (size_t p = 0; p < paths->size(); ++p) {
      const Json& pj = (*paths)[p];
      const std::string pw = gw + ".paths[" + std::to_string(p) + "]";
      if (!pj.is_string()) return c.Err(StatusCode::kFormatError, pw, "expected a file name, found " + json::Describe(pj));
      auto checked = CheckRelativePath(pj.get_ref<const std::string&>());
      if (!checked.ok()) return checked.status().Prefixed(c.file + ": " + pw);
      group.paths.push_back(pj.get<std::string>());
    }
    auto weights = gj.find("weights");
    if (weights == gj.end() || !weights->is_array()) {
      return c.Err(StatusCode::kFormatError, gw + ".weights",
                   "expected a list of weight entries, found " +
                       (weights == gj.end() ? std::string("nothing") : json::Describe(*weights)));
    }
    for (size_t i = 0; i < weights->size(); ++i) {
      WeightEntry e;
      const std::string ew = gw + ".weights[" + std::to_string(i) + "]";
      TFQ_RETURN_IF_ERROR(ParseEntry(c, (*weights)[i], ew, e));
      auto [it, inserted] = seen.emplace(e.name, ew);
      if (!inserted) {
        return c.Err(StatusCode::kFormatError, ew,
                     "duplicate weight name '" + e.name + "' (also at " + it->second +
                         "); tfjs would silently keep only the last one");
      }
      group.weights.push_back(std::move(e));
    }
    groups.push_back(std::move(group));
  }
  return Status::Ok();
}

}  // namespace

uint64_t WeightEntry::FixedByteSize(bool* variable) const {
  *variable = false;
  if (quantization) return num_elements * EncodingElementBytes(quantization->dtype);
  if (dtype == DType::kString) {
    *variable = true;
    return 0;
  }
  return num_elements * DTypeElementBytes(dtype);
}

size_t ModelFile::num_weights() const {
  size_t n = 0;
  for (const auto& g : groups) n += g.weights.size();
  return n;
}

Result<ModelFile> ParseModelFile(std::string text, std::string_view file_name) {
  Ctx c{std::string(file_name)};
  TFQ_ASSIGN_OR_RETURN(Json root, json::Parse(text, file_name));
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
    if (auto f = root.find("format"); f != root.end() && f->is_string()) mf.format = f->get<std::string>();
    TFQ_RETURN_IF_ERROR(ParseGroups(c, *wm, "weightsManifest", mf.groups));
    auto span = json::TopLevelMemberSpan(text, "weightsManifest");
    if (!span) return c.Err(StatusCode::kFormatError, "weightsManifest", "could not locate the manifest in the text");
    mf.manifest_begin = span->first;
    mf.manifest_end = span->second;
  } else {
    return c.Err(StatusCode::kFormatError, "top level",
                 "expected a model.json object or a weights manifest list, found " + json::Describe(root));
  }
  mf.text = std::move(text);
  return mf;
}

std::string ManifestToJson(const std::vector<WeightGroup>& groups) {
  std::string out = "[";
  for (size_t g = 0; g < groups.size(); ++g) {
    if (g) out += ", ";
    out += "{\"paths\": [";
    for (size_t p = 0; p < groups[g].paths.size(); ++p) {
      if (p) out += ", ";
      out += json::PythonStringLiteral(groups[g].paths[p]);
    }
    out += "], \"weights\": [";
    for (size_t i = 0; i < groups[g].weights.size(); ++i) {
      if (i) out += ", ";
      out += groups[g].weights[i].json;
    }
    out += "]}";
  }
  out += "]";
  return out;
}

}  // namespace tfq
