// SPDX-License-Identifier: Apache-2.0
// safetensors (huggingface/safetensors, "Format"): an 8-byte little-endian
// header length N, N bytes of JSON naming each tensor's dtype, shape and
// [begin, end) in the byte buffer that follows. Every tensor is checked to
// lie in the buffer, to have exactly shape × dtype bytes and to overlap no
// other before any is listed; its elements are then read in place.
#include <algorithm>
#include <optional>
#include <string>
#include <unordered_set>

#include "json/json.h"
#include "pack/zip.h"
#include "tfjs_quant/manifest.h"
#include "tfjs_quant/pack.h"
#include "tfjs_quant/text.h"
#include "util/bits.h"

namespace tfq {
namespace {

using json::Json;

// The format's own cap on the header (the reference reader refuses more).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct KnownDType {
  std::string_view name;
  SourceDType dtype;
};
constexpr KnownDType kDTypes[] = {
    {"F64", SourceDType::kFloat64}, {"F32", SourceDType::kFloat32}, {"F16", SourceDType::kFloat16},
    {"BF16", SourceDType::kBFloat16}, {"I64", SourceDType::kInt64}, {"I32", SourceDType::kInt32},
    {"I16", SourceDType::kInt16},   {"I8", SourceDType::kInt8},     {"U64", SourceDType::kUInt64},
    {"U32", SourceDType::kUInt32},  {"U16", SourceDType::kUInt16},  {"U8", SourceDType::kUInt8},
    {"BOOL", SourceDType::kBool},
};

// Finds a key repeated in the top-level object or in one tensor's object:
// the parser keeps only one of them, so a header could otherwise say two
// things about a tensor and be read as either.
class RepeatedKeys {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(number_integer_t) { return true; }
  bool number_unsigned(number_unsigned_t) { return true; }
  bool number_float(number_float_t, const string_t&) { return true; }
  bool string(string_t&) { return true; }
  bool binary(binary_t&) { return true; }
  bool start_object(std::size_t) {
    if (++depth_ == 2) inner_.clear();
    return true;
  }
  bool end_object() {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) {
    ++depth_;
    return true;
  }
  bool end_array() {
    --depth_;
    return true;
  }
  bool key(string_t& k) {
    if (depth_ == 1) {
      current_ = k;
      if (!top_.insert(k).second) return Found(k, "");
    } else if (depth_ == 2 && !inner_.insert(k).second) {
      return Found(k, current_);
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

  std::optional<std::pair<std::string, std::string>> repeated;  // key, and the tensor it is in ("" at the top)

 private:
  bool Found(const std::string& k, const std::string& in) {
    repeated.emplace(k, in);
    return false;
  }
  int depth_ = 0;
  std::string current_;
  std::unordered_set<std::string> top_, inner_;
};

struct Entry {
  uint64_t begin, end;
  SourceTensor tensor;
};

// A non-negative integer of the header, or nullopt.
std::optional<uint64_t> Unsigned(const Json& j) {
  if (!j.is_number_unsigned()) return std::nullopt;
  return j.get<uint64_t>();
}

Status ParseEntry(const std::string& what, const std::string& name, const Json& v, uint64_t buffer_size,
                  const Limits& limits, Entry* e) {
  const std::string where = what + ": tensor " + Quoted(name);
  if (!v.is_object()) return FormatError(where + ": expected an object, found " + json::Describe(v));
  auto member = [&](const char* key) -> const Json* {
    auto it = v.find(key);
    return it == v.end() ? nullptr : &*it;
  };
  const Json* dtype = member("dtype");
  const Json* shape = member("shape");
  const Json* offsets = member("data_offsets");
  if (!dtype || !shape || !offsets) {
    return FormatError(where + ": lacks \"" + (!dtype ? "dtype" : !shape ? "shape" : "data_offsets") + "\"");
  }
  if (!dtype->is_string()) return FormatError(where + ": \"dtype\" is " + json::Describe(*dtype) + ", not a string");
  const std::string& dname = dtype->get_ref<const std::string&>();
  auto known = std::find_if(std::begin(kDTypes), std::end(kDTypes), [&](const KnownDType& d) { return d.name == dname; });
  if (known == std::end(kDTypes)) {
    return Unsupported(where + ": dtype " + Quoted(dname) +
                       " cannot be read (F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8 and BOOL can)");
  }
  if (!shape->is_array()) return FormatError(where + ": \"shape\" is " + json::Describe(*shape) + ", not an array");
  if (shape->size() > limits.rank) {
    return LimitExceeded(where + ": rank " + std::to_string(shape->size()) + " exceeds " + LimitText("rank", limits.rank),
                         "rank");
  }
  std::vector<int64_t> dims;
  for (const Json& d : *shape) {
    auto u = Unsigned(d);
    if (!u || *u > uint64_t{INT64_MAX}) {
      return FormatError(where + ": a dimension of \"shape\" is " + json::Describe(d) + ", not a non-negative integer");
    }
    dims.push_back(static_cast<int64_t>(*u));
  }
  std::optional<uint64_t> begin, end;
  if (offsets->is_array() && offsets->size() == 2) {
    begin = Unsigned((*offsets)[0]);
    end = Unsigned((*offsets)[1]);
  }
  if (!begin || !end) {
    return FormatError(where + ": \"data_offsets\" is " + json::Describe(*offsets) +
                       ", not [begin, end] in non-negative integers");
  }
  if (*begin > *end) {
    return FormatError(where + ": data_offsets [" + std::to_string(*begin) + ", " + std::to_string(*end) +
                       "] begin after they end");
  }
  if (*end > buffer_size) {
    return FormatError(where + ": data_offsets [" + std::to_string(*begin) + ", " + std::to_string(*end) +
                       "] end past the data buffer (" + Bytes(buffer_size) + ")");
  }
  TFQ_ASSIGN_OR_RETURN(const uint64_t n, CheckSourceShape(dims, limits, where));
  const uint64_t expected = n * SourceDTypeBytes(known->dtype);
  if (expected != *end - *begin) {
    return FormatError(where + ": shape " + ShapeText(dims) + " of " + dname + " needs " + Bytes(expected) +
                       ", but data_offsets [" + std::to_string(*begin) + ", " + std::to_string(*end) + "] hold " +
                       Bytes(*end - *begin));
  }
  e->begin = *begin;
  e->end = *end;
  e->tensor.name = name;
  e->tensor.dtype = known->dtype;
  e->tensor.shape = std::move(dims);
  e->tensor.num_elements = n;
  e->tensor.origin = what;
  return Status::Ok();
}

Status CheckMetadata(const std::string& what, const Json& m) {
  if (!m.is_object()) return FormatError(what + ": \"__metadata__\" is " + json::Describe(m) + ", not an object");
  for (const auto& [key, value] : m.items()) {
    if (!value.is_string()) {
      return FormatError(what + ": \"__metadata__\" entry " + Quoted(key) + " is " + json::Describe(value) +
                         ", not a string");
    }
  }
  return Status::Ok();
}

}  // namespace

Status ReadSafetensors(FileSource& source, std::string_view path, const Limits& limits,
                       std::vector<SourceTensor>* out) {
  TFQ_ASSIGN_OR_RETURN(auto file, OpenShared(source, path));
  const std::string what = source.Describe(path);
  const uint64_t size = file->Size();
  uint8_t len_bytes[8];
  if (size < sizeof len_bytes) {
    return FormatError(what + ": not a safetensors file: " + Bytes(size) + ", shorter than the 8-byte header length");
  }
  TFQ_RETURN_IF_ERROR(file->ReadAt(0, len_bytes));
  const uint64_t n = LoadLE<uint64_t>(len_bytes);
  if (n > kMaxHeaderBytes) {
    return FormatError(what + ": not a safetensors file: a header of " + Bytes(n) +
                       ", above the format's cap of 100,000,000 bytes");
  }
  if (n > size - 8) {
    return FormatError(what + ": not a safetensors file: a header of " + Bytes(n) + " runs past the end of the file (" +
                       Bytes(size) + ")");
  }
  if (n > limits.json_bytes) {
    return LimitExceeded(what + ": a header of " + Bytes(n) + " exceeds " + LimitText("json_bytes", limits.json_bytes), "json_bytes");
  }
  std::string text(static_cast<size_t>(n), '\0');
  TFQ_RETURN_IF_ERROR(file->ReadAt(8, std::span<uint8_t>(reinterpret_cast<uint8_t*>(text.data()), text.size())));
  if (text.empty() || text[0] != '{') {
    return FormatError(what + ": not a safetensors file: the header does not start with '{'");
  }
  json::ParseOptions options;
  options.max_depth = limits.json_depth;
  Result<Json> parsed = json::Parse(text, what + " (header)", options);
  if (!parsed.ok()) {
    const Status& s = parsed.status();
    return s.code() == StatusCode::kParseError ? FormatError(s.message()) : s;
  }
  const Json& header = *parsed;
  if (!header.is_object()) return FormatError(what + ": the header is " + json::Describe(header) + ", not an object");
  RepeatedKeys keys;
  (void)Json::sax_parse(text, &keys);
  if (keys.repeated) {
    const auto& [key, in] = *keys.repeated;
    return FormatError(what + ": the header names " + Quoted(key) + " twice" +
                       (in.empty() ? std::string() : " in tensor " + Quoted(in)));
  }

  const uint64_t buffer_at = 8 + n, buffer_size = size - buffer_at;
  const uint64_t count = header.size() - (header.contains("__metadata__") ? 1 : 0);
  if (count > limits.weights) {
    return LimitExceeded(what + ": " + std::to_string(count) + " tensors exceed " + LimitText("weights", limits.weights), "weights");
  }
  std::vector<Entry> entries;
  entries.reserve(static_cast<size_t>(count));
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      TFQ_RETURN_IF_ERROR(CheckMetadata(what, value));
      continue;
    }
    Entry e;
    TFQ_RETURN_IF_ERROR(ParseEntry(what, name, value, buffer_size, limits, &e));
    entries.push_back(std::move(e));
  }
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  for (size_t i = 1; i < entries.size(); ++i) {
    const Entry &a = entries[i - 1], &b = entries[i];
    if (a.end > b.begin) {
      return FormatError(what + ": tensors " + Quoted(a.tensor.name) + " [" + std::to_string(a.begin) + ", " +
                         std::to_string(a.end) + ") and " + Quoted(b.tensor.name) + " [" + std::to_string(b.begin) +
                         ", " + std::to_string(b.end) + ") overlap");
    }
  }
  for (Entry& e : entries) {
    e.tensor.bytes = std::make_shared<RangeBytes>(file, buffer_at + e.begin);
    out->push_back(std::move(e.tensor));
  }
  return Status::Ok();
}

}  // namespace tfq
