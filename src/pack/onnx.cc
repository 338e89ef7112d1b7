// SPDX-License-Identifier: Apache-2.0
// .onnx: a serialized onnx.ModelProto (onnx/onnx.proto). The reader walks
// ModelProto -> graph -> each initializer -> its external_data entries and
// nothing deeper, so subgraphs' initializers (If/Loop attributes) are not
// listed and the nesting never depends on the input. raw_data and external
// data are read in place from their files; typed fields (varints, or split
// float runs) are decoded into memory while listing.
#include <array>
#include <cstring>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "pack/protobuf.h"
#include "pack/zip.h"
#include "tfjs_quant/manifest.h"
#include "tfjs_quant/pack.h"
#include "tfjs_quant/text.h"
#include "util/bits.h"

namespace tfq {
namespace {

using pb::Field;
using pb::Wire;

constexpr uint32_t kModelGraph = 7;
constexpr uint32_t kGraphInitializer = 5;
constexpr uint32_t kGraphSparseInitializer = 15;

// TensorProto's fields.
constexpr uint32_t kDims = 1, kDataType = 2, kSegment = 3, kFloatData = 4, kInt32Data = 5, kStringData = 6,
                   kInt64Data = 7, kName = 8, kRawData = 9, kDoubleData = 10, kUInt64Data = 11,
                   kExternalData = 13, kDataLocation = 14;
constexpr std::array<uint32_t, 5> kTypedFields = {kFloatData, kInt32Data, kInt64Data, kDoubleData, kUInt64Data};

// An external_data key or value is a path or a number: anything longer is
// not one.
constexpr uint64_t kMaxEntryBytes = 64 * 1024;

const char* TypedFieldName(uint32_t f) {
  switch (f) {
    case kFloatData: return "float_data";
    case kInt32Data: return "int32_data";
    case kInt64Data: return "int64_data";
    case kDoubleData: return "double_data";
    case kUInt64Data: return "uint64_data";
  }
  return "?";
}

// TensorProto.DataType, newer ONNX versions' types included so that a
// refusal names them.
std::string OnnxTypeName(uint64_t t) {
  static constexpr const char* kNames[] = {
      "UNDEFINED", "FLOAT",  "UINT8",         "INT8",           "UINT16",       "INT16",
      "INT32",     "INT64",  "STRING",        "BOOL",           "FLOAT16",      "DOUBLE",
      "UINT32",    "UINT64", "COMPLEX64",     "COMPLEX128",     "BFLOAT16",     "FLOAT8E4M3FN",
      "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1"};
  if (t < std::size(kNames)) return std::string(kNames[t]) + " (" + std::to_string(t) + ")";
  return "data type " + std::to_string(t);
}

// The element type of an ONNX data type and the typed field that holds it.
struct OnnxType {
  SourceDType dtype;
  uint32_t field;
};
std::optional<OnnxType> MapType(uint64_t t) {
  switch (t) {
    case 1: return OnnxType{SourceDType::kFloat32, kFloatData};
    case 2: return OnnxType{SourceDType::kUInt8, kInt32Data};
    case 3: return OnnxType{SourceDType::kInt8, kInt32Data};
    case 4: return OnnxType{SourceDType::kUInt16, kInt32Data};
    case 5: return OnnxType{SourceDType::kInt16, kInt32Data};
    case 6: return OnnxType{SourceDType::kInt32, kInt32Data};
    case 7: return OnnxType{SourceDType::kInt64, kInt64Data};
    case 9: return OnnxType{SourceDType::kBool, kInt32Data};
    case 10: return OnnxType{SourceDType::kFloat16, kInt32Data};
    case 11: return OnnxType{SourceDType::kFloat64, kDoubleData};
    case 12: return OnnxType{SourceDType::kUInt32, kUInt64Data};
    case 13: return OnnxType{SourceDType::kUInt64, kUInt64Data};
    case 16: return OnnxType{SourceDType::kBFloat16, kInt32Data};
  }
  return std::nullopt;
}

// Typed-field values decoded while listing. Allocated without throwing, so
// that a tensor too large for memory is a kOutOfMemory Status.
class DecodedBytes : public SourceBytes {
 public:
  static Result<std::shared_ptr<DecodedBytes>> Allocate(uint64_t size, const std::string& what) {
    auto out = std::make_shared<DecodedBytes>();
    if (size > 0) {
      out->data_.reset(new (std::nothrow) uint8_t[size]);
      if (!out->data_) return OutOfMemory("cannot allocate " + Bytes(size) + " to decode " + what);
    }
    out->size_ = size;
    return out;
  }
  uint8_t* data() { return data_.get(); }
  Status ReadAt(uint64_t offset, std::span<uint8_t> dst) const override {
    if (!Within(offset, dst.size(), size_)) return Internal("a read past the end of a decoded ONNX tensor");
    if (!dst.empty()) std::memcpy(dst.data(), data_.get() + offset, dst.size());
    return Status::Ok();
  }

 private:
  std::unique_ptr<uint8_t[]> data_;
  uint64_t size_ = 0;
};

// Where one typed repeated field occurs in a TensorProto: packed runs
// and single elements, in any mix (protobuf allows both).
struct Typed {
  uint64_t occurrences = 0;
  uint64_t packed_bytes = 0;  // payload bytes of the packed runs
  uint64_t singles = 0;       // elements written one per field
  uint64_t first_data = 0;    // the first occurrence's payload, if packed
  bool first_packed = false;
  bool present() const { return occurrences > 0; }
};

// An initializer's fields, its data known by offsets.
struct TensorHeader {
  uint64_t begin = 0, end = 0;  // the TensorProto's bytes in the model file
  std::string name;
  std::vector<int64_t> dims;
  uint64_t data_type = 0;
  bool segment = false, strings = false;
  bool has_raw = false;
  uint64_t raw_offset = 0, raw_size = 0;
  uint64_t data_location = 0;
  std::optional<std::string> location, offset, length;  // external_data
  std::array<Typed, 12> typed{};                         // by field number
};

std::string FieldText(uint32_t number, const char* name) {
  return "field " + std::to_string(number) + " (" + name + ")";
}

Status ExpectWire(pb::WireFile& wf, const Field& f, Wire want, const char* name) {
  if (f.wire == want) return Status::Ok();
  return wf.Error(f.tag, FieldText(f.number, name) + " has wire type " + pb::WireName(f.wire) + ", expected " +
                             pb::WireName(want));
}

// "4096": what ONNX writes for external_data offsets and lengths.
std::optional<uint64_t> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

class OnnxReader {
 public:
  OnnxReader(FileSource& source, std::string_view path, const Limits& limits)
      : source_(source), path_(path), limits_(limits), describe_(source.Describe(path)) {}

  Status Read(std::vector<SourceTensor>* out) {
    TFQ_ASSIGN_OR_RETURN(file_, OpenShared(source_, path_));
    pb::WireFile wf(*file_, describe_);
    pb::Message model(wf, 0, wf.size());
    Field f;
    bool graph = false;
    while (true) {
      TFQ_ASSIGN_OR_RETURN(bool more, model.Next(&f));
      if (!more) break;
      if (f.number != kModelGraph) continue;
      TFQ_RETURN_IF_ERROR(ExpectWire(wf, f, Wire::kLen, "ModelProto.graph"));
      // A message field given twice is merged by protobuf: the repeated
      // initializers of both, in order.
      graph = true;
      TFQ_RETURN_IF_ERROR(ReadGraph(wf, f.data, f.data + f.value));
    }
    if (!graph) {
      return FormatError(describe_ + ": holds no graph (ModelProto field 7); is it an ONNX model?");
    }
    for (auto& t : tensors_) out->push_back(std::move(t));
    return Status::Ok();
  }

 private:
  Status ReadGraph(pb::WireFile& wf, uint64_t begin, uint64_t end) {
    pb::Message graph(wf, begin, end);
    Field f;
    while (true) {
      TFQ_ASSIGN_OR_RETURN(bool more, graph.Next(&f));
      if (!more) return Status::Ok();
      if (f.number == kGraphSparseInitializer) {
        return Unsupported(describe_ + ": the graph holds a sparse initializer (at byte " + std::to_string(f.tag) +
                           "); tfjs has no sparse tensors: densify it first (e.g. onnx's sparse-to-dense conversion)");
      }
      if (f.number != kGraphInitializer) continue;
      TFQ_RETURN_IF_ERROR(ExpectWire(wf, f, Wire::kLen, "GraphProto.initializer"));
      if (tensors_.size() >= limits_.weights) {
        return LimitExceeded(describe_ + ": more than " + std::to_string(limits_.weights) + " initializers exceed " +
                             LimitText("weights", limits_.weights), "weights");
      }
      TensorHeader h;
      h.begin = f.data;
      h.end = f.data + f.value;
      TFQ_RETURN_IF_ERROR(ReadHeader(wf, &h));
      TFQ_RETURN_IF_ERROR(AddTensor(wf, h));
    }
  }

  Status ReadHeader(pb::WireFile& wf, TensorHeader* h) {
    pb::Message tensor(wf, h->begin, h->end);
    Field f;
    while (true) {
      TFQ_ASSIGN_OR_RETURN(bool more, tensor.Next(&f));
      if (!more) return Status::Ok();
      switch (f.number) {
        case kDims:
          if (f.wire == Wire::kVarint) {
            TFQ_RETURN_IF_ERROR(AddDim(f, f.value, h));
          } else {
            TFQ_RETURN_IF_ERROR(ExpectWire(wf, f, Wire::kLen, "TensorProto.dims"));
            for (uint64_t pos = f.data, end = f.data + f.value; pos < end;) {
              uint64_t d = 0;
              TFQ_RETURN_IF_ERROR(wf.Varint(&pos, end, &d));
              TFQ_RETURN_IF_ERROR(AddDim(f, d, h));
            }
          }
          break;
        case kDataType:
          TFQ_RETURN_IF_ERROR(ExpectWire(wf, f, Wire::kVarint, "TensorProto.data_type"));
          h->data_type = f.value;
          break;
        case kSegment: h->segment = true; break;
        case kStringData: h->strings = true; break;
        case kName:
          TFQ_RETURN_IF_ERROR(ExpectWire(wf, f, Wire::kLen, "TensorProto.name"));
          // Names end up in model.json.
          if (f.value > limits_.json_bytes) {
            return LimitExceeded(describe_ + ": at byte " + std::to_string(f.tag) + ": an initializer name of " +
                                 Bytes(f.value) + " exceeds " + LimitText("json_bytes", limits_.json_bytes), "json_bytes");
          }
          TFQ_RETURN_IF_ERROR(wf.ReadBytes(f.data, f.value, &h->name));
          break;
        case kRawData:
          TFQ_RETURN_IF_ERROR(ExpectWire(wf, f, Wire::kLen, "TensorProto.raw_data"));
          h->has_raw = true;
          h->raw_offset = f.data;
          h->raw_size = f.value;
          break;
        case kExternalData:
          TFQ_RETURN_IF_ERROR(ExpectWire(wf, f, Wire::kLen, "TensorProto.external_data"));
          TFQ_RETURN_IF_ERROR(ReadExternalEntry(wf, f, h));
          break;
        case kDataLocation:
          TFQ_RETURN_IF_ERROR(ExpectWire(wf, f, Wire::kVarint, "TensorProto.data_location"));
          h->data_location = f.value;
          break;
        case kFloatData:
        case kInt32Data:
        case kInt64Data:
        case kDoubleData:
        case kUInt64Data:
          TFQ_RETURN_IF_ERROR(NoteTyped(wf, f, h));
          break;
        default: break;
      }
    }
  }

  Status AddDim(const Field& f, uint64_t d, TensorHeader* h) {
    if (h->dims.size() >= limits_.rank) {
      return LimitExceeded(describe_ + ": at byte " + std::to_string(f.tag) + ": an initializer has more than " +
                           std::to_string(limits_.rank) + " dimensions, exceeding " + LimitText("rank", limits_.rank), "rank");
    }
    h->dims.push_back(static_cast<int64_t>(d));  // int64 on the wire: a negative one is refused with the shape
    return Status::Ok();
  }

  // The element width of a fixed-width typed field, 0 for varint fields.
  static unsigned FixedWidth(uint32_t field) { return field == kFloatData ? 4 : field == kDoubleData ? 8 : 0; }

  Status NoteTyped(pb::WireFile& wf, const Field& f, TensorHeader* h) {
    const unsigned width = FixedWidth(f.number);
    const Wire single = width == 4 ? Wire::kFixed32 : width == 8 ? Wire::kFixed64 : Wire::kVarint;
    Typed& t = h->typed[f.number];
    if (f.wire == Wire::kLen) {
      if (width != 0 && f.value % width != 0) {
        return wf.Error(f.tag, std::string(TypedFieldName(f.number)) + " holds " + Bytes(f.value) +
                                   ", not a whole number of " + std::to_string(width) + "-byte values");
      }
      if (t.occurrences == 0) t.first_packed = true, t.first_data = f.data;
      t.packed_bytes += f.value;
    } else {
      TFQ_RETURN_IF_ERROR(ExpectWire(wf, f, single, TypedFieldName(f.number)));
      ++t.singles;
    }
    ++t.occurrences;
    return Status::Ok();
  }

  Status ReadExternalEntry(pb::WireFile& wf, const Field& entry, TensorHeader* h) {
    pb::Message m(wf, entry.data, entry.data + entry.value);
    std::string key, value;
    Field f;
    while (true) {
      TFQ_ASSIGN_OR_RETURN(bool more, m.Next(&f));
      if (!more) break;
      if (f.number != 1 && f.number != 2) continue;
      TFQ_RETURN_IF_ERROR(ExpectWire(wf, f, Wire::kLen, f.number == 1 ? "external_data.key" : "external_data.value"));
      if (f.value > kMaxEntryBytes) {
        return wf.Error(f.tag, "an external_data entry of " + Bytes(f.value) + " (a path or a number is at most " +
                                   Bytes(kMaxEntryBytes) + ")");
      }
      TFQ_RETURN_IF_ERROR(wf.ReadBytes(f.data, f.value, f.number == 1 ? &key : &value));
    }
    std::optional<std::string>* slot = key == "location" ? &h->location
                                       : key == "offset" ? &h->offset
                                       : key == "length" ? &h->length
                                                         : nullptr;
    if (slot == nullptr) return Status::Ok();  // "checksum" and keys of later versions
    if (slot->has_value()) return wf.Error(entry.tag, "external_data gives " + Quoted(key) + " twice");
    *slot = std::move(value);
    return Status::Ok();
  }

  Status AddTensor(pb::WireFile& wf, TensorHeader& h) {
    if (h.name.empty()) {
      return wf.Error(h.begin, "an initializer has no name (ONNX requires one)");
    }
    const std::string what = describe_ + ": initializer " + Quoted(h.name);
    if (!names_.insert(h.name).second) {
      return FormatError(what + " appears twice (ONNX requires unique initializer names)");
    }
    if (h.data_type == 8) return Unsupported(what + " holds strings, which tfjs weights cannot hold");
    if (h.data_type == 14 || h.data_type == 15) {
      return Unsupported(what + " is " + OnnxTypeName(h.data_type) + ", a complex type tfjs weights cannot hold");
    }
    if (h.data_type == 0) return FormatError(what + " has no data type (UNDEFINED)");
    const std::optional<OnnxType> type = MapType(h.data_type);
    if (!type) return Unsupported(what + " is " + OnnxTypeName(h.data_type) + ", which tfjs-quant cannot convert");
    if (h.segment) return Unsupported(what + " is one segment of a split tensor (TensorProto.segment)");
    if (h.strings) return FormatError(what + " is " + OnnxTypeName(h.data_type) + " but holds string_data");
    TFQ_ASSIGN_OR_RETURN(const uint64_t n, CheckSourceShape(h.dims, limits_, what));
    if (n > kMaxTensorElements) {
      return LimitExceeded(what + ": " + std::to_string(n) + " elements exceed " +
                           LimitText("tensor_elements", kMaxTensorElements), "tensor_elements");
    }
    const unsigned elem = SourceDTypeBytes(type->dtype);
    const uint64_t bytes = n * elem;

    for (uint32_t field : kTypedFields) {
      if (field != type->field && h.typed[field].present()) {
        return FormatError(what + " is " + OnnxTypeName(h.data_type) + " but holds " + TypedFieldName(field) +
                           " (expected " + TypedFieldName(type->field) + " or raw_data)");
      }
    }
    if (h.data_location > 1) {
      return FormatError(what + ": data_location " + std::to_string(h.data_location) +
                         " is neither DEFAULT (0) nor EXTERNAL (1)");
    }
    const bool external = h.data_location == 1;
    const Typed& typed = h.typed[type->field];
    const int sources = int{h.has_raw} + int{typed.present()} + int{external};
    if (sources > 1) {
      std::string found;
      for (auto [has, name] : {std::pair{external, "external data"}, std::pair{h.has_raw, "raw_data"},
                               std::pair{typed.present(), TypedFieldName(type->field)}}) {
        if (has) found += (found.empty() ? "" : " and ") + std::string(name);
      }
      return FormatError(what + " holds its values more than once (" + found + "); expected one of them");
    }

    SourceTensor t;
    t.name = h.name;
    t.dtype = type->dtype;
    t.shape = h.dims;
    t.num_elements = n;
    t.origin = what;
    if (external) {
      TFQ_RETURN_IF_ERROR(External(h, what, bytes, &t));
    } else if (h.has_raw) {
      if (h.raw_size != bytes) {
        return FormatError(what + ": raw_data holds " + Bytes(h.raw_size) + ", but shape " + ShapeText(h.dims) +
                           " of " + std::string(SourceDTypeName(type->dtype)) + " needs " + Bytes(bytes));
      }
      t.bytes = std::make_shared<RangeBytes>(file_, h.raw_offset);
    } else if (typed.present()) {
      TFQ_RETURN_IF_ERROR(DecodeTyped(wf, h, *type, what, n, &t));
    } else {
      if (n != 0) return FormatError(what + ": shape " + ShapeText(h.dims) + " but no values (no raw_data, typed field or external data)");
      TFQ_ASSIGN_OR_RETURN(t.bytes, DecodedBytes::Allocate(0, what));
    }
    tensors_.push_back(std::move(t));
    return Status::Ok();
  }

  Status External(const TensorHeader& h, const std::string& what, uint64_t bytes, SourceTensor* t) {
    if (!h.location) return FormatError(what + ": data_location is EXTERNAL but external_data has no \"location\"");
    // Relative to the model's folder, and never above it: checked on its
    // own before joining, so that "../x" from "sub/model.onnx" is refused
    // although "x" would be a file of the source.
    auto checked = CheckRelativePath(*h.location);
    if (!checked.ok()) return checked.status().Prefixed(what + ": external data location");
    const size_t slash = path_.rfind('/');
    const std::string folder = slash == std::string::npos ? "" : path_.substr(0, slash + 1);
    TFQ_ASSIGN_OR_RETURN(const std::string ext_path, CheckRelativePath(folder + *checked));
    const std::string ext_describe = source_.Describe(ext_path);

    auto it = externals_.find(ext_path);
    if (it == externals_.end()) {
      if (externals_.size() >= limits_.shards) {
        return LimitExceeded(what + ": more than " + std::to_string(limits_.shards) +
                             " external data files exceed " + LimitText("shards", limits_.shards), "shards");
      }
      auto opened = OpenShared(source_, ext_path);
      if (!opened.ok()) return opened.status().Prefixed(what + ": external data");
      it = externals_.emplace(ext_path, std::move(opened).value()).first;
    }
    const uint64_t size = it->second->Size();
    uint64_t offset = 0;
    if (h.offset) {
      auto v = ParseDecimal(*h.offset);
      if (!v) return FormatError(what + ": external data offset " + Quoted(*h.offset) + " is not a decimal byte offset");
      offset = *v;
    }
    if (offset > size) {
      return FormatError(what + ": external data offset " + std::to_string(offset) + " lies beyond the end of " +
                         ext_describe + " (" + Bytes(size) + ")");
    }
    uint64_t length = size - offset;
    if (h.length) {
      auto v = ParseDecimal(*h.length);
      if (!v) return FormatError(what + ": external data length " + Quoted(*h.length) + " is not a decimal byte count");
      if (*v > size - offset) {
        return FormatError(what + ": external data bytes [" + std::to_string(offset) + ", " + std::to_string(offset) +
                           " + " + std::to_string(*v) + ") lie beyond the end of " + ext_describe + " (" + Bytes(size) +
                           ")");
      }
      length = *v;
    }
    if (length != bytes) {
      return FormatError(what + ": external data in " + ext_describe + " at offset " + std::to_string(offset) +
                         " holds " + Bytes(length) + ", but shape " + ShapeText(h.dims) + " of " +
                         std::string(SourceDTypeName(t->dtype)) + " needs " + Bytes(bytes));
    }
    t->origin = what + " (data in " + ext_describe + ")";
    t->bytes = std::make_shared<RangeBytes>(it->second, offset);
    return Status::Ok();
  }

  // Values of a typed field. One packed run of floats or doubles is
  // already little-endian and contiguous: read in place. Anything else is
  // decoded, its count bounded by the field's bytes before allocating.
  Status DecodeTyped(pb::WireFile& wf, const TensorHeader& h, OnnxType type, const std::string& what, uint64_t n,
                     SourceTensor* t) {
    const uint32_t field = type.field;
    const Typed& typed = h.typed[field];
    const unsigned width = FixedWidth(field);
    const char* name = TypedFieldName(field);
    auto count_error = [&](const std::string& count) {
      return FormatError(what + ": " + name + " holds " + count + " values, but shape " + ShapeText(h.dims) +
                         " needs " + std::to_string(n));
    };
    if (width != 0) {
      const uint64_t count = typed.packed_bytes / width + typed.singles;
      if (count != n) return count_error(std::to_string(count));
      if (typed.occurrences == 1 && typed.first_packed) {
        t->bytes = std::make_shared<RangeBytes>(file_, typed.first_data);
        return Status::Ok();
      }
    } else if (typed.packed_bytes + typed.singles < n) {
      // A varint takes at least one byte.
      return count_error("at most " + std::to_string(typed.packed_bytes + typed.singles));
    }
    const unsigned elem = SourceDTypeBytes(type.dtype);
    TFQ_ASSIGN_OR_RETURN(std::shared_ptr<DecodedBytes> out, DecodedBytes::Allocate(n * elem, what));
    uint64_t count = 0;
    auto put = [&](uint64_t v) -> Status {
      if (count < n) {
        TFQ_RETURN_IF_ERROR(Check(type.dtype, v, what, name));
        uint8_t* p = out->data() + count * elem;
        for (unsigned i = 0; i < elem; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
      }
      ++count;
      return Status::Ok();
    };
    pb::Message m(wf, h.begin, h.end);
    Field f;
    while (true) {
      TFQ_ASSIGN_OR_RETURN(bool more, m.Next(&f));
      if (!more) break;
      if (f.number != field) continue;
      if (f.wire != Wire::kLen) {
        TFQ_RETURN_IF_ERROR(put(f.value));
        continue;
      }
      for (uint64_t pos = f.data, end = f.data + f.value; pos < end;) {
        uint64_t v = 0;
        if (width != 0) {
          TFQ_RETURN_IF_ERROR(wf.Fixed(pos, width, &v));
          pos += width;
        } else {
          TFQ_RETURN_IF_ERROR(wf.Varint(&pos, end, &v));
        }
        TFQ_RETURN_IF_ERROR(put(v));
      }
    }
    if (count != n) return count_error(std::to_string(count));
    t->bytes = std::move(out);
    return Status::Ok();
  }

  // A varint from int32_data, int64_data or uint64_data must fit the
  // tensor's type; protobuf reads an int32 from its low 32 bits.
  static Status Check(SourceDType d, uint64_t v, const std::string& what, const char* field) {
    const auto i32 = static_cast<int64_t>(static_cast<int32_t>(static_cast<uint32_t>(v)));
    int64_t lo = 0, hi = 0;
    switch (d) {
      case SourceDType::kInt8: lo = -128, hi = 127; break;
      case SourceDType::kUInt8: lo = 0, hi = 255; break;
      case SourceDType::kInt16: lo = -32768, hi = 32767; break;
      case SourceDType::kUInt16: lo = 0, hi = 65535; break;
      case SourceDType::kBool: lo = 0, hi = 1; break;
      // Bit patterns: written as uint16 by ONNX, as int16 by some others.
      case SourceDType::kFloat16:
      case SourceDType::kBFloat16: lo = -32768, hi = 65535; break;
      case SourceDType::kUInt32:
        if (v > 0xffffffffu) {
          return FormatError(what + ": " + field + " value " + std::to_string(v) + " does not fit uint32");
        }
        return Status::Ok();
      default: return Status::Ok();
    }
    if (i32 < lo || i32 > hi) {
      return FormatError(what + ": " + field + " value " + std::to_string(i32) + " does not fit " +
                         std::string(SourceDTypeName(d)));
    }
    return Status::Ok();
  }

  FileSource& source_;
  std::string path_;
  const Limits& limits_;
  std::string describe_;
  std::shared_ptr<const RandomAccessFile> file_;
  std::vector<SourceTensor> tensors_;
  std::unordered_set<std::string> names_;
  std::unordered_map<std::string, std::shared_ptr<const RandomAccessFile>> externals_;
};

}  // namespace

Status ReadOnnx(FileSource& source, std::string_view path, const Limits& limits, std::vector<SourceTensor>* out) {
  return OnnxReader(source, path, limits).Read(out);
}

}  // namespace tfq
