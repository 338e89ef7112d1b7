// SPDX-License-Identifier: Apache-2.0
// export: a tfjs model's decoded weights as safetensors or .npz.
#include "tfjs_quant/export.h"

#include <zlib.h>

#include <cstring>
#include <string>
#include <vector>

#include "json/json.h"
#include "tfjs_quant/text.h"

namespace tfq {
namespace {

struct Item {
  const TensorLocation* t;
  const WeightEntry* e;
  uint64_t bytes;  // decoded
};

Result<std::vector<Item>> Items(const Model& model) {
  std::vector<Item> items;
  for (const TensorLocation& t : model.tensors()) {
    const WeightEntry& e = model.entry(t);
    if (e.dtype == DType::kString || e.dtype == DType::kComplex64) {
      return Unsupported(Quoted(e.name) + " is a " + std::string(DTypeName(e.dtype)) +
                         " weight; safetensors and .npz hold only numbers and booleans");
    }
    if (e.quantization && e.dtype != DType::kFloat32) {
      return Unsupported(Quoted(e.name) + ": a quantized " + std::string(DTypeName(e.dtype)) + " weight");
    }
    items.push_back({&t, &e, e.num_elements * DTypeElementBytes(e.dtype)});
  }
  return items;
}

// A weight's decoded bytes, little-endian: float32 weights decoded into
// `floats`, the others read into `raw`; the span points into one of them.
Result<std::span<const uint8_t>> Decoded(const Model& model, const Item& it, std::vector<float>* floats,
                                         std::vector<uint8_t>* raw) {
  if (it.e->dtype == DType::kFloat32) {
    TFQ_RETURN_IF_ERROR(model.DecodeFloat32(*it.t, floats));
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(floats->data()), floats->size() * 4);
  }
  TFQ_RETURN_IF_ERROR(model.ReadStored(*it.t, raw));
  return std::span<const uint8_t>(*raw);
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string ShapeJson(const std::vector<int64_t>& shape, bool python_tuple) {
  std::string s = python_tuple ? "(" : "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  if (python_tuple && shape.size() == 1) s += ",";
  return s + (python_tuple ? ")" : "]");
}

Status Safetensors(const Model& model, const std::vector<Item>& items, const ExportWriter& write) {
  // Keys in manifest order; the data in the same order.
  std::string header = "{";
  uint64_t at = 0;
  for (const Item& it : items) {
    if (it.e->name == "__metadata__") {
      return Unsupported("a weight named '__metadata__': safetensors keeps that key for its metadata");
    }
    const char* dtype = it.e->dtype == DType::kFloat32 ? "F32" : it.e->dtype == DType::kInt32 ? "I32" : "BOOL";
    header += (at || header.size() > 1 ? "," : "") + json::PythonStringLiteral(it.e->name) + ":{\"dtype\":\"" +
              dtype + "\",\"shape\":" + ShapeJson(it.e->shape, false) + ",\"data_offsets\":[" + std::to_string(at) +
              "," + std::to_string(at + it.bytes) + "]}";
    at += it.bytes;
  }
  header += "}";
  // The format pads the header with spaces so the data starts 8-aligned.
  while (header.size() % 8 != 0) header += ' ';
  uint8_t size[8];
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) size[i] = static_cast<uint8_t>(n >> (8 * i));
  TFQ_RETURN_IF_ERROR(write(size));
  TFQ_RETURN_IF_ERROR(write(Bytes(header)));
  std::vector<float> floats;
  std::vector<uint8_t> raw;
  for (const Item& it : items) {
    TFQ_ASSIGN_OR_RETURN(std::span<const uint8_t> data, Decoded(model, it, &floats, &raw));
    TFQ_RETURN_IF_ERROR(write(data));
  }
  return Status::Ok();
}

// Zip record signatures (APPNOTE 4.3).
constexpr uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kZip64End = 0x06064b50,
                   kZip64Locator = 0x07064b50, kEnd = 0x06054b50;

// Little-endian fields of zip headers.
struct Out {
  std::string s;
  void u16(uint32_t v) { s += static_cast<char>(v & 0xff), s += static_cast<char>((v >> 8) & 0xff); }
  void u32(uint32_t v) { u16(v & 0xffff), u16(v >> 16); }
  void u64(uint64_t v) { u32(static_cast<uint32_t>(v)), u32(static_cast<uint32_t>(v >> 32)); }
};

// numpy's .npy header (format 1.0, or 2.0 when it needs more than 64 KiB),
// padded so the data starts 64-aligned as numpy writes it.
std::string NpyHeader(const Item& it) {
  const char* descr = it.e->dtype == DType::kFloat32 ? "<f4" : it.e->dtype == DType::kInt32 ? "<i4" : "|b1";
  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " +
                     ShapeJson(it.e->shape, true) + ", }";
  const bool v2 = dict.size() + 11 > 65535;
  const size_t prefix = v2 ? 12 : 10;
  size_t total = prefix + dict.size() + 1;
  total = (total + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';
  Out o;
  o.s = "\x93NUMPY";
  o.s += static_cast<char>(v2 ? 2 : 1);
  o.s += '\0';
  if (v2) o.u32(static_cast<uint32_t>(dict.size())); else o.u16(static_cast<uint32_t>(dict.size()));
  return o.s + dict;
}

// A zip of stored members with ZIP64 records throughout (as numpy's savez
// writes them). Each tensor is decoded once, its CRC-32 computed, then its
// header and bytes written: no data descriptors, so any zip reader takes it.
Status Npz(const Model& model, const std::vector<Item>& items, const ExportWriter& write) {
  struct Central {
    std::string name;
    uint32_t crc;
    uint64_t size, offset;
  };
  std::vector<Central> central;
  uint64_t at = 0;
  std::vector<float> floats;
  std::vector<uint8_t> raw;
  for (const Item& it : items) {
    const std::string name = it.e->name + ".npy";
    if (name.size() > 65535) return Unsupported(Quoted(it.e->name) + ": a name too long for a zip member");
    const std::string npy = NpyHeader(it);
    TFQ_ASSIGN_OR_RETURN(std::span<const uint8_t> data, Decoded(model, it, &floats, &raw));
    const uint64_t size = npy.size() + data.size();
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(npy.data()), static_cast<uInt>(npy.size()));
    for (size_t k = 0; k < data.size();) {
      const size_t n = std::min<size_t>(data.size() - k, size_t{1} << 30);
      crc = crc32(crc, data.data() + k, static_cast<uInt>(n));
      k += n;
    }
    Out h;
    h.u32(kLocalHeader);
    h.u16(45);      // version needed: ZIP64
    h.u16(0x0800);  // UTF-8 name
    h.u16(0);       // stored
    h.u16(0), h.u16(0x21);  // time, date: 1980-01-01, fixed for reproducible bytes
    h.u32(static_cast<uint32_t>(crc)), h.u32(0xffffffff), h.u32(0xffffffff);
    h.u16(static_cast<uint32_t>(name.size()));
    h.u16(20);
    h.s += name;
    h.u16(1), h.u16(16), h.u64(size), h.u64(size);  // ZIP64 extra: sizes
    TFQ_RETURN_IF_ERROR(write(Bytes(h.s)));
    TFQ_RETURN_IF_ERROR(write(Bytes(npy)));
    TFQ_RETURN_IF_ERROR(write(data));
    central.push_back({name, static_cast<uint32_t>(crc), size, at});
    at += h.s.size() + size;
  }
  Out c;
  for (const Central& m : central) {
    c.u32(kCentralHeader);
    c.u16(45), c.u16(45), c.u16(0x0800), c.u16(0), c.u16(0), c.u16(0x21);
    c.u32(m.crc), c.u32(0xffffffff), c.u32(0xffffffff);
    c.u16(static_cast<uint32_t>(m.name.size()));
    c.u16(28), c.u16(0), c.u16(0), c.u16(0), c.u32(0);
    c.u32(0xffffffff);
    c.s += m.name;
    c.u16(1), c.u16(24), c.u64(m.size), c.u64(m.size), c.u64(m.offset);
  }
  const uint64_t cd_offset = at, cd_size = c.s.size();
  c.u32(kZip64End), c.u64(44), c.u16(45), c.u16(45), c.u32(0), c.u32(0);
  c.u64(central.size()), c.u64(central.size()), c.u64(cd_size), c.u64(cd_offset);
  c.u32(kZip64Locator), c.u32(0), c.u64(cd_offset + cd_size), c.u32(1);
  c.u32(kEnd), c.u16(0), c.u16(0), c.u16(0xffff), c.u16(0xffff), c.u32(0xffffffff), c.u32(0xffffffff), c.u16(0);
  return write(Bytes(c.s));
}

}  // namespace

Status ExportWeights(const Model& model, ExportFormat format, const ExportWriter& write) {
  TFQ_ASSIGN_OR_RETURN(auto items, Items(model));
  return format == ExportFormat::kSafetensors ? Safetensors(model, items, write) : Npz(model, items, write);
}

}  // namespace tfq
