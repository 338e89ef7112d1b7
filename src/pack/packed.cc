// SPDX-License-Identifier: Apache-2.0
// PackedFiles: source tensors seen as a tfjs model (tfjs_quant/packed.h).
#include "tfjs_quant/packed.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <condition_variable>
#include <mutex>
#include <new>
#include <set>

#include "json/json.h"
#include "tfjs_quant/manifest.h"
#include "tfjs_quant/quantize.h"
#include "tfjs_quant/text.h"
#include "util/bits.h"

namespace tfq {

namespace {

// A tensor-sized buffer that fails as kOutOfMemory instead of aborting
// (std::vector has no exception to throw here).
struct Buffer {
  std::unique_ptr<uint8_t[]> data;
  size_t size = 0;
  static Result<Buffer> Make(uint64_t n, std::string_view what) {
    Buffer b;
    if (n > std::numeric_limits<size_t>::max() / 2) return OutOfMemory(Quoted(what) + " does not fit in memory");
    b.data.reset(new (std::nothrow) uint8_t[n == 0 ? 1 : n]);
    if (!b.data) return OutOfMemory("no memory for the " + Bytes(n) + " of " + Quoted(what));
    b.size = static_cast<size_t>(n);
    return b;
  }
  std::span<uint8_t> span() { return {data.get(), size}; }
};

}  // namespace

struct PackedFiles::Layout {
  struct Item {
    SourceTensor src;
    std::string name;
    std::vector<int> perm;
    std::vector<int64_t> shape;  // after the permutation
    DType dtype = DType::kFloat32;
    bool float16 = false;  // stored as the float16 quantization
    unsigned out_bytes = 4;  // per element, as stored in the shard
    uint64_t start = 0, size = 0;  // in the shard
    // Stored bytes equal the source's bytes: reads go straight to it.
    bool direct = false;
  };
  std::vector<Item> items;
  uint64_t total = 0;

  // The last tensor that needed converting, shared by every file opened on
  // the shard (a Model opens it for each read) and every thread: a large
  // tensor is read in parts, and is converted once. A thread that finds it
  // being converted waits instead of converting it again.
  mutable std::mutex mu;
  mutable std::condition_variable built;
  mutable std::shared_ptr<const Buffer> cached;
  mutable size_t cached_index = 0;
  mutable bool building = false;
};

DType PackedDType(SourceDType d) {
  switch (d) {
    case SourceDType::kFloat64: case SourceDType::kFloat32: case SourceDType::kFloat16: case SourceDType::kBFloat16:
      return DType::kFloat32;
    case SourceDType::kBool: return DType::kBool;
    default: return DType::kInt32;
  }
}

Status CheckTensorName(std::string_view name, std::string_view origin) {
  // A weight without a name cannot be addressed by tfjs, a pattern or a
  // model JSON: refused rather than dropped.
  if (name.empty()) return FormatError(std::string(origin) + ": a tensor has an empty name");
  if (name.size() > kMaxTensorName) {
    return Unsupported(std::string(origin) + ": a tensor name of " + Bytes(name.size()) + " (" + Quoted(name) +
                       "); pack takes names of at most " + Bytes(kMaxTensorName));
  }
  if (!IsUtf8(name)) return Unsupported(std::string(origin) + ": the tensor name " + Quoted(name) + " is not UTF-8");
  return Status::Ok();
}

Status CheckPermutation(std::span<const int> perm, size_t rank, std::string_view tensor) {
  std::vector<bool> seen(rank, false);
  bool ok = perm.size() == rank;
  for (int p : perm) {
    if (!ok) break;
    if (p < 0 || static_cast<size_t>(p) >= rank || seen[p]) ok = false; else seen[p] = true;
  }
  if (ok) return Status::Ok();
  std::string text;
  for (int p : perm) text += (text.empty() ? "" : ",") + std::to_string(p);
  return InvalidArgument(Quoted(tensor) + ": the permutation " + text + " does not fit a tensor of rank " +
                         std::to_string(rank) + (rank == 0 ? " (a scalar has no axes to permute)" : " (it must list each axis 0.." + std::to_string(rank - 1) + " once)"));
}

std::vector<int> TorchLayoutPermutation(std::string_view name, std::span<const int64_t> shape) {
  if (!name.ends_with("weight")) return {};
  // "depthwise" anywhere, or "dw" as a whole part of the name ("conv_dw.weight", "dw.0.weight").
  bool depthwise = name.find("depthwise") != std::string_view::npos;
  for (size_t b = 0; b < name.size() && !depthwise;) {
    size_t e = name.find_first_of("._/", b);
    if (e == std::string_view::npos) e = name.size();
    depthwise = name.substr(b, e - b) == "dw";
    b = e + 1;
  }
  switch (shape.size()) {
    case 2:  // Linear [out, in] -> Dense [in, out]; embeddings are [num, dim] in both
      if (name.find("embed") != std::string_view::npos) return {};
      return {1, 0};
    case 3: return {2, 1, 0};  // Conv1d [O, I, k] -> [k, I, O]
    case 4:  // Conv2d [O, I, kH, kW] -> [kH, kW, I, O]; depthwise [C*m, 1, kH, kW] -> [kH, kW, C*m, 1]
      if (depthwise && shape[1] == 1) return {2, 3, 0, 1};
      return {2, 3, 1, 0};
    case 5: return {2, 3, 4, 1, 0};  // Conv3d [O, I, kD, kH, kW] -> [kD, kH, kW, I, O]
    default: return {};
  }
}

namespace {

// Reads a whole source tensor.
Result<Buffer> ReadSource(const SourceTensor& t) {
  TFQ_ASSIGN_OR_RETURN(Buffer b, Buffer::Make(t.byte_size(), t.name));
  if (b.size > 0) TFQ_RETURN_IF_ERROR(t.bytes->ReadAt(0, b.span()).Prefixed(t.origin));
  return b;
}

// Source elements to the stored element type, in the source's order.
// `o` holds num_elements * out_bytes.
Status ConvertElements(const PackedFiles::Layout::Item& it, const uint8_t* p, uint8_t* o) {
  const uint64_t n = it.src.num_elements;
  auto put_f32 = [&](uint64_t i, float v) { std::memcpy(o + 4 * i, &v, 4); };
  auto put_i32 = [&](uint64_t i, int64_t v) -> bool {
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) return false;
    int32_t x = static_cast<int32_t>(v);
    std::memcpy(o + 4 * i, &x, 4);
    return true;
  };
  auto out_of_range = [&](uint64_t i, std::string value) {
    return Unsupported(it.src.origin + " (" + std::string(SourceDTypeName(it.src.dtype)) + "): element " +
                       std::to_string(i) + " is " + value +
                       ", outside int32, the integer type of tfjs (an exclude pattern leaves the tensor out)");
  };
  switch (it.src.dtype) {
    case SourceDType::kFloat64:
      for (uint64_t i = 0; i < n; ++i) put_f32(i, static_cast<float>(LoadLE<double>(p + 8 * i)));
      break;
    case SourceDType::kBFloat16:
      for (uint64_t i = 0; i < n; ++i) {
        uint32_t bits = uint32_t{LoadLE<uint16_t>(p + 2 * i)} << 16;
        std::memcpy(o + 4 * i, &bits, 4);
      }
      break;
    case SourceDType::kFloat16:
      if (it.float16) {
        std::memcpy(o, p, n * 2);
      } else {
        for (uint64_t i = 0; i < n; ++i) put_f32(i, HalfBitsToFloat(LoadLE<uint16_t>(p + 2 * i)));
      }
      break;
    case SourceDType::kInt64:
      for (uint64_t i = 0; i < n; ++i) {
        int64_t v = LoadLE<int64_t>(p + 8 * i);
        if (!put_i32(i, v)) return out_of_range(i, std::to_string(v));
      }
      break;
    case SourceDType::kUInt64:
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t v = LoadLE<uint64_t>(p + 8 * i);
        if (v > uint64_t{std::numeric_limits<int32_t>::max()}) return out_of_range(i, std::to_string(v));
        put_i32(i, static_cast<int64_t>(v));
      }
      break;
    case SourceDType::kUInt32:
      for (uint64_t i = 0; i < n; ++i) {
        uint32_t v = LoadLE<uint32_t>(p + 4 * i);
        if (!put_i32(i, v)) return out_of_range(i, std::to_string(v));
      }
      break;
    case SourceDType::kInt16:
      for (uint64_t i = 0; i < n; ++i) put_i32(i, LoadLE<int16_t>(p + 2 * i));
      break;
    case SourceDType::kUInt16:
      for (uint64_t i = 0; i < n; ++i) put_i32(i, LoadLE<uint16_t>(p + 2 * i));
      break;
    case SourceDType::kInt8:
      for (uint64_t i = 0; i < n; ++i) put_i32(i, static_cast<int8_t>(p[i]));
      break;
    case SourceDType::kUInt8:
      for (uint64_t i = 0; i < n; ++i) put_i32(i, p[i]);
      break;
    case SourceDType::kFloat32: case SourceDType::kInt32: case SourceDType::kBool:
      std::memcpy(o, p, n * it.out_bytes);
      break;
  }
  return Status::Ok();
}

// out = in with its axes permuted (out axis i is in axis perm[i]).
template <unsigned kBytes>
void Permute(const uint8_t* in, uint8_t* out, std::span<const int64_t> in_shape, std::span<const int> perm,
             uint64_t n) {
  const size_t rank = in_shape.size();
  std::vector<uint64_t> in_stride(rank, 1), step(rank), dims(rank), idx(rank, 0);
  for (size_t i = rank; i-- > 1;) in_stride[i - 1] = in_stride[i] * static_cast<uint64_t>(in_shape[i]);
  for (size_t i = 0; i < rank; ++i) {
    step[i] = in_stride[perm[i]];
    dims[i] = static_cast<uint64_t>(in_shape[perm[i]]);
  }
  uint64_t src = 0;
  for (uint64_t k = 0; k < n; ++k) {
    std::memcpy(out + k * kBytes, in + src * kBytes, kBytes);
    for (size_t i = rank; i-- > 0;) {  // odometer over the output's index
      src += step[i];
      if (++idx[i] < dims[i]) break;
      src -= step[i] * dims[i];
      idx[i] = 0;
    }
  }
}

// A tensor's bytes as stored in the shard.
Result<Buffer> Materialize(const PackedFiles::Layout::Item& it) {
  TFQ_ASSIGN_OR_RETURN(Buffer raw, ReadSource(it.src));
  TFQ_ASSIGN_OR_RETURN(Buffer converted, Buffer::Make(it.size, it.src.name));
  TFQ_RETURN_IF_ERROR(ConvertElements(it, raw.data.get(), converted.data.get()));
  if (it.perm.empty()) return converted;
  raw = {};
  TFQ_ASSIGN_OR_RETURN(Buffer out, Buffer::Make(it.size, it.src.name));
  const uint64_t n = it.src.num_elements;
  switch (it.out_bytes) {
    case 1: Permute<1>(converted.data.get(), out.data.get(), it.src.shape, it.perm, n); break;
    case 2: Permute<2>(converted.data.get(), out.data.get(), it.src.shape, it.perm, n); break;
    default: Permute<4>(converted.data.get(), out.data.get(), it.src.shape, it.perm, n); break;
  }
  return out;
}

// The one shard: tensors back to back in manifest order.
class ShardFile : public RandomAccessFile {
 public:
  explicit ShardFile(std::shared_ptr<const PackedFiles::Layout> layout) : layout_(std::move(layout)) {}
  uint64_t Size() const override { return layout_->total; }
  Status ReadAt(uint64_t offset, std::span<uint8_t> dst) const override {
    if (offset > layout_->total || dst.size() > layout_->total - offset) {
      return Internal("a read past the end of the packed tensors");
    }
    const auto& items = layout_->items;
    // The first tensor ending after `offset`.
    auto it = std::upper_bound(items.begin(), items.end(), offset,
                               [](uint64_t off, const auto& item) { return off < item.start + item.size; });
    size_t done = 0;
    for (; done < dst.size() && it != items.end(); ++it) {
      if (it->size == 0) continue;
      const uint64_t at = offset + done - it->start;
      const size_t n = static_cast<size_t>(std::min<uint64_t>(it->size - at, dst.size() - done));
      std::span<uint8_t> part = dst.subspan(done, n);
      if (it->direct) {
        TFQ_RETURN_IF_ERROR(it->src.bytes->ReadAt(at, part).Prefixed(it->src.origin));
      } else {
        TFQ_ASSIGN_OR_RETURN(auto bytes, Converted(static_cast<size_t>(it - items.begin())));
        std::memcpy(part.data(), bytes->data.get() + at, n);
      }
      done += n;
    }
    return Status::Ok();
  }

 private:
  Result<std::shared_ptr<const Buffer>> Converted(size_t index) const {
    const PackedFiles::Layout& l = *layout_;
    std::unique_lock<std::mutex> lock(l.mu);
    l.built.wait(lock, [&] { return !l.building; });
    if (l.cached && l.cached_index == index) return l.cached;
    l.cached.reset();
    l.building = true;
    lock.unlock();
    auto bytes = Materialize(l.items[index]);
    lock.lock();
    l.building = false;
    if (bytes.ok()) {
      l.cached = std::make_shared<const Buffer>(std::move(bytes).value());
      l.cached_index = index;
    }
    l.built.notify_all();
    if (!bytes.ok()) return bytes.status();
    return l.cached;
  }

  std::shared_ptr<const PackedFiles::Layout> layout_;
};

std::string EntryJson(const PackedFiles::Layout::Item& it) {
  std::string s = "{\"name\": " + json::PythonStringLiteral(it.name) + ", \"shape\": [";
  for (size_t i = 0; i < it.shape.size(); ++i) s += (i ? ", " : "") + std::to_string(it.shape[i]);
  s += "], \"dtype\": \"" + std::string(DTypeName(it.dtype)) + "\"";
  if (it.float16) s += ", \"quantization\": {\"dtype\": \"float16\", \"original_dtype\": \"float32\"}";
  return s + "}";
}

std::string ManifestJson(const PackedFiles::Layout& layout) {
  std::string s = "[{\"paths\": [" + json::PythonStringLiteral(PackedFiles::kShardName) + "], \"weights\": [";
  for (size_t i = 0; i < layout.items.size(); ++i) s += (i ? ", " : "") + EntryJson(layout.items[i]);
  return s + "]}]";
}

// The user's model JSON with `manifest` as its weightsManifest.
Result<std::string> SpliceManifest(const std::string& model_json, std::string_view label, const std::string& manifest,
                                   const Limits& limits) {
  // Only the root's kind is needed: its members are checked, not built.
  json::Filter filter;
  filter.root = 1;
  filter.child = [](int, std::optional<std::string_view>) { return json::Filter::kDrop; };
  json::ParseOptions parse;
  parse.max_depth = limits.json_depth;
  parse.filter = &filter;
  TFQ_ASSIGN_OR_RETURN(json::Json root, json::Parse(model_json, label, parse));
  if (!root.is_object()) return FormatError(Quoted(label) + " holds " + json::Describe(root) + ", expected an object");
  if (auto span = json::TopLevelMemberSpan(model_json, "weightsManifest")) {
    return model_json.substr(0, span->first) + manifest + model_json.substr(span->second);
  }
  auto [begin, end] = json::RootValueSpan(model_json);
  size_t close = end - 1;  // the root's '}'
  size_t k = close;
  while (k > begin + 1 && std::string_view(" \t\r\n").find(model_json[k - 1]) != std::string_view::npos) --k;
  const bool empty = model_json[k - 1] == '{';
  return model_json.substr(0, close) + (empty ? "" : ", ") + "\"weightsManifest\": " + manifest +
         model_json.substr(close);
}

}  // namespace

PackedFiles::~PackedFiles() = default;

Result<std::unique_ptr<PackedFiles>> PackedFiles::Create(std::vector<SourceTensor> sources,
                                                         std::vector<PackEntry> entries, const PackOptions& options,
                                                         const Limits& limits) {
  if (entries.size() > limits.weights) {
    return LimitExceeded(std::to_string(entries.size()) + " tensors to pack: more than " +
                         LimitText("weights", limits.weights) + " allows", "weights");
  }
  if (!options.model_json) TFQ_RETURN_IF_ERROR(CheckOutputFileName(options.json_name));
  auto layout = std::make_shared<Layout>();
  layout->items.reserve(entries.size());
  std::set<std::string_view> names;
  for (PackEntry& e : entries) {
    if (e.source >= sources.size()) return Internal("a pack entry names no source tensor");
    const SourceTensor& src = sources[e.source];
    if (!names.insert(e.name).second) {
      return InvalidArgument("two tensors would both be named " + Quoted(e.name) +
                             " (check the renames and the prefix; the second is " + Quoted(src.name) + " from " +
                             src.origin + ")");
    }
    TFQ_RETURN_IF_ERROR(CheckTensorName(e.name, src.origin));
    Layout::Item it;
    it.src = src;
    it.name = e.name;
    it.perm = e.perm;
    if (!it.perm.empty()) {
      TFQ_RETURN_IF_ERROR(CheckPermutation(it.perm, src.shape.size(), src.name));
      bool identity = true;
      for (size_t i = 0; i < it.perm.size(); ++i) identity = identity && it.perm[i] == static_cast<int>(i);
      if (identity) it.perm.clear();
    }
    it.shape = src.shape;
    for (size_t i = 0; i < it.perm.size(); ++i) it.shape[i] = src.shape[it.perm[i]];
    it.dtype = PackedDType(src.dtype);
    it.float16 = src.dtype == SourceDType::kFloat16 && options.keep_float16;
    it.out_bytes = it.float16 ? 2 : DTypeElementBytes(it.dtype);
    it.size = src.num_elements * it.out_bytes;
    it.start = layout->total;
    layout->total += it.size;
    const bool same_bytes = src.dtype == SourceDType::kFloat32 || src.dtype == SourceDType::kInt32 ||
                            src.dtype == SourceDType::kBool || it.float16;
    it.direct = same_bytes && it.perm.empty();
    if (src.dtype == SourceDType::kInt64 || src.dtype == SourceDType::kUInt64 || src.dtype == SourceDType::kUInt32) {
      // A value beyond int32 is found now, before anything is written.
      TFQ_ASSIGN_OR_RETURN(Buffer raw, ReadSource(it.src));
      TFQ_ASSIGN_OR_RETURN(Buffer converted, Buffer::Make(it.size, it.src.name));
      TFQ_RETURN_IF_ERROR(ConvertElements(it, raw.data.get(), converted.data.get()));
    }
    layout->items.push_back(std::move(it));
  }
  std::unique_ptr<PackedFiles> files(new (std::nothrow) PackedFiles());
  if (!files) return OutOfMemory("packing");
  const std::string manifest = ManifestJson(*layout);
  files->json_name_ = options.json_name;
  if (options.model_json) {
    TFQ_ASSIGN_OR_RETURN(files->json_text_, SpliceManifest(*options.model_json, options.json_name, manifest, limits));
  } else {
    files->json_text_ = manifest;
  }
  files->layout_ = std::move(layout);
  return files;
}

Result<std::unique_ptr<RandomAccessFile>> PackedFiles::Open(std::string_view path) {
  if (path == json_name_) {
    SpanFiles one;  // its file points at json_text_, which outlives it
    one.Add(std::string(path), json_text_);
    return one.Open(path);
  }
  if (path == kShardName) return std::unique_ptr<RandomAccessFile>(new ShardFile(layout_));
  return NotFound(Quoted(path) + " is not one of the packed files");
}

std::string PackedFiles::Describe(std::string_view path) const {
  return path == kShardName ? std::string("the packed tensors") : Quoted(path);
}

}  // namespace tfq
