// SPDX-License-Identifier: Apache-2.0
// The datasets of the Keras/HDF5 reader (hdf5.cc lists them): which element
// types tfjs can hold and the memory type libhdf5 converts them to; the
// storage pack reads (no virtual datasets, no external raw data, no filter
// beyond gzip, shuffle and fletcher32); compressed chunks sized before
// libhdf5 1.10 trusts them; and the elements, read under the lock.
#include <hdf5.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <optional>

#include "pack/hdf5_internal.h"
#include "tfjs_quant/text.h"
#include "util/bits.h"

namespace tfq::h5 {
namespace {

const char* ClassText(H5T_class_t c) {
  switch (c) {
    case H5T_STRING: return "strings (H5T_STRING)";
    case H5T_COMPOUND: return "compound records (H5T_COMPOUND)";
    case H5T_VLEN: return "variable-length sequences (H5T_VLEN)";
    case H5T_REFERENCE: return "object references (H5T_REFERENCE)";
    case H5T_ARRAY: return "fixed-size arrays (H5T_ARRAY)";
    case H5T_OPAQUE: return "opaque bytes (H5T_OPAQUE)";
    case H5T_BITFIELD: return "bit fields (H5T_BITFIELD)";
    case H5T_TIME: return "times (H5T_TIME)";
    case H5T_ENUM: return "enum values other than h5py's bool (H5T_ENUM)";
    default: return "values of an unknown type class";
  }
}

// h5py's bool: an enum over a 1-byte integer with FALSE = 0 and TRUE = 1.
bool IsH5pyBool(hid_t type) {
  Id base(H5Tget_super(type));
  if (!base.ok() || H5Tget_class(base.get()) != H5T_INTEGER || H5Tget_size(base.get()) != 1 ||
      H5Tget_nmembers(type) != 2) {
    return false;
  }
  for (unsigned i = 0; i < 2; ++i) {
    char* name = H5Tget_member_name(type, i);
    int8_t value = -1;
    const bool ok = name && H5Tget_member_value(type, i, &value) >= 0 &&
                    ((std::strcmp(name, "FALSE") == 0 && value == 0) || (std::strcmp(name, "TRUE") == 0 && value == 1));
    if (name) H5free_memory(name);
    if (!ok) return false;
  }
  return true;
}

// A 2-byte float laid out as IEEE half or as bfloat16.
std::optional<SourceDType> HalfKind(hid_t type) {
  size_t spos, epos, esize, mpos, msize;
  if (H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize) < 0 || H5Tget_precision(type) != 16 ||
      H5Tget_offset(type) != 0 || H5Tget_norm(type) != H5T_NORM_IMPLIED || spos != 15 || mpos != 0) {
    return std::nullopt;
  }
  const size_t bias = H5Tget_ebias(type);
  if (epos == 10 && esize == 5 && msize == 10 && bias == 15) return SourceDType::kFloat16;
  if (epos == 7 && esize == 8 && msize == 7 && bias == 127) return SourceDType::kBFloat16;
  return std::nullopt;
}

Result<SourceDType> DTypeOf(hid_t type, const std::string& what) {
  const H5T_class_t c = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (c == H5T_FLOAT) {
    if (size == 4) return SourceDType::kFloat32;
    if (size == 8) return SourceDType::kFloat64;
    if (size == 2) {
      if (auto k = HalfKind(type)) return *k;
    }
    return Unsupported(what + ": holds " + std::to_string(size * 8) +
                       "-bit floats of a layout tfjs cannot hold (only IEEE float16, bfloat16, float32, float64)");
  }
  if (c == H5T_INTEGER) {
    const bool sign = H5Tget_sign(type) == H5T_SGN_2;
    switch (size) {
      case 1: return sign ? SourceDType::kInt8 : SourceDType::kUInt8;
      case 2: return sign ? SourceDType::kInt16 : SourceDType::kUInt16;
      case 4: return sign ? SourceDType::kInt32 : SourceDType::kUInt32;
      case 8: return sign ? SourceDType::kInt64 : SourceDType::kUInt64;
      default: return Unsupported(what + ": holds " + std::to_string(size) + "-byte integers");
    }
  }
  if (c == H5T_ENUM && IsH5pyBool(type)) return SourceDType::kBool;
  if (c < 0) return FormatError(what + ": has an unreadable element type" + LibError());
  return Unsupported(what + ": holds " + ClassText(c) + ", not numbers; tfjs weights are numeric");
}

// The type to read elements as: the same kind, little-endian (libhdf5
// converts big-endian data, and any other layout of 4- and 8-byte floats).
Result<Id> MemTypeOf(hid_t type, SourceDType d, const std::string& what) {
  hid_t base = -1;
  switch (d) {
    case SourceDType::kFloat64: base = H5T_IEEE_F64LE; break;
    case SourceDType::kFloat32: base = H5T_IEEE_F32LE; break;
    case SourceDType::kInt64: base = H5T_STD_I64LE; break;
    case SourceDType::kInt32: base = H5T_STD_I32LE; break;
    case SourceDType::kInt16: base = H5T_STD_I16LE; break;
    case SourceDType::kInt8: base = H5T_STD_I8LE; break;
    case SourceDType::kUInt64: base = H5T_STD_U64LE; break;
    case SourceDType::kUInt32: base = H5T_STD_U32LE; break;
    case SourceDType::kUInt16: base = H5T_STD_U16LE; break;
    case SourceDType::kUInt8: base = H5T_STD_U8LE; break;
    case SourceDType::kFloat16: case SourceDType::kBFloat16: case SourceDType::kBool: base = type; break;
  }
  Id mem(H5Tcopy(base));
  if (!mem.ok() || ((d == SourceDType::kFloat16 || d == SourceDType::kBFloat16) &&
                    H5Tset_order(mem.get(), H5T_ORDER_LE) < 0)) {
    return Internal(what + ": cannot make its memory type" + LibError());
  }
  return mem;
}

// The filters libhdf5 may decode for us: deflate, shuffle, fletcher32
// (without plugins, the others are szip, nbit and scaleoffset, which no
// Keras or h5py default writes). One deflate at most, after any shuffle,
// so that CheckChunks can size each chunk.
Status CheckFilters(hid_t dcpl, const std::string& what) {
  const int n = H5Pget_nfilters(dcpl);
  if (n < 0) return FormatError(what + ": cannot read its filters" + LibError());
  bool deflated = false;
  for (int i = 0; i < n; ++i) {
    unsigned flags = 0, config = 0;
    size_t cd = 0;
    char name[64] = "";
    const H5Z_filter_t id = H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &cd, nullptr, sizeof name, name,
                                           &config);
    const bool ok = (id == H5Z_FILTER_DEFLATE && !deflated) || (id == H5Z_FILTER_SHUFFLE && !deflated) ||
                    id == H5Z_FILTER_FLETCHER32;
    if (!ok) {
      return Unsupported(what + ": is stored through HDF5 filter " + std::to_string(id) + " (" + Quoted(name) +
                         "); pack reads gzip, shuffle and fletcher32 only: save it without that filter");
    }
    deflated = deflated || id == H5Z_FILTER_DEFLATE;
  }
  unsigned opts = 0;
  if (n > 0 && H5Pget_chunk_opts(dcpl, &opts) >= 0 && (opts & H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS)) {
    return Unsupported(what + ": leaves its partial edge chunks unfiltered, which pack does not read");
  }
  return Status::Ok();
}

// The bytes a zlib stream inflates to, counted (not kept), or nullopt if it
// is damaged or inflates past `max`.
std::optional<uint64_t> InflatedSize(const uint8_t* data, uint64_t size, uint64_t max) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return std::nullopt;
  uint8_t out[1 << 15];
  uint64_t total = 0;
  int r = Z_OK;
  const uint8_t* next = data;
  uint64_t left = size;
  while (r == Z_OK && total <= max) {
    if (z.avail_in == 0 && left > 0) {
      z.next_in = const_cast<uint8_t*>(next);
      z.avail_in = static_cast<uInt>(std::min<uint64_t>(left, uint64_t{1} << 30));
      next += z.avail_in;
      left -= z.avail_in;
    }
    z.next_out = out;
    z.avail_out = sizeof out;
    r = inflate(&z, Z_NO_FLUSH);
    total += sizeof out - z.avail_out;
    if (r == Z_BUF_ERROR && z.avail_in == 0 && left == 0) break;  // truncated stream
  }
  inflateEnd(&z);
  if (r != Z_STREAM_END || total > max) return std::nullopt;
  return total;
}

// libhdf5 1.10 copies a whole chunk out of whatever its filters produced,
// so a damaged chunk that decodes short is read past its buffer. Each
// stored chunk of a filtered dataset is decoded here first, only to count
// its bytes, and must come out exactly one chunk long.
Status CheckChunks(hid_t ds, hid_t dcpl, hid_t space, size_t element_bytes, const std::string& what) {
  const int nf = H5Pget_nfilters(dcpl);
  if (H5Pget_layout(dcpl) != H5D_CHUNKED || nf <= 0) return Status::Ok();
  std::vector<H5Z_filter_t> filters;
  for (int i = 0; i < nf; ++i) {
    unsigned flags = 0, config = 0;
    size_t cd = 0;
    filters.push_back(H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &cd, nullptr, 0, nullptr, &config));
  }
  hsize_t chunk[H5S_MAX_RANK], dims[H5S_MAX_RANK];
  const int rank = H5Pget_chunk(dcpl, H5S_MAX_RANK, chunk);
  if (rank <= 0 || H5Sget_simple_extent_dims(space, dims, nullptr) != rank) {
    return FormatError(what + ": its chunks do not match its shape" + LibError());
  }
  uint64_t chunk_bytes = element_bytes;
  for (int i = 0; i < rank; ++i) {
    if (chunk[i] == 0 || chunk[i] > (uint64_t{1} << 32) / chunk_bytes) {
      return FormatError(what + ": chunks of more than 4 GiB, beyond HDF5's own limit");
    }
    chunk_bytes *= chunk[i];
    if (dims[i] == 0) return Status::Ok();
  }
  // Deflate can grow incompressible data a little; a stored chunk beyond
  // this cannot be a chunk of this dataset.
  const uint64_t max_stored = chunk_bytes + chunk_bytes / 16 + 1024;
  std::unique_ptr<uint8_t[]> buf(new (std::nothrow) uint8_t[max_stored]);
  if (!buf) return OutOfMemory("cannot allocate " + Bytes(max_stored) + " to check a chunk of " + what);
  hsize_t at[H5S_MAX_RANK] = {};
  while (true) {
    hsize_t stored = 0;
    if (H5Dget_chunk_storage_size(ds, at, &stored) < 0) {
      return FormatError(what + ": cannot find a chunk" + LibError());
    }
    if (stored > 0) {
      uint32_t skipped = 0;
      if (stored > max_stored || H5Dread_chunk(ds, H5P_DEFAULT, at, &skipped, buf.get()) < 0) {
        return FormatError(what + ": a stored chunk of " + Bytes(stored) + " cannot be read" + LibError());
      }
      uint64_t size = stored;
      bool ok = true;
      for (int i = nf - 1; i >= 0 && ok; --i) {
        if (skipped & (1u << i)) continue;
        if (filters[i] == H5Z_FILTER_FLETCHER32) {
          ok = size >= 4;
          size -= ok ? 4 : 0;
        } else if (filters[i] == H5Z_FILTER_DEFLATE) {
          const std::optional<uint64_t> inflated = InflatedSize(buf.get(), size, chunk_bytes);
          ok = inflated.has_value();
          size = inflated.value_or(0);
        }
      }
      if (!ok || size != chunk_bytes) {
        return FormatError(what + ": a stored chunk does not decode to " + Bytes(chunk_bytes) + " (damaged data)");
      }
    }
    int d = rank - 1;
    for (; d >= 0; --d) {
      at[d] += chunk[d];
      if (at[d] < dims[d]) break;
      at[d] = 0;
    }
    if (d < 0) return Status::Ok();
  }
}

// A dataset's elements, read through libhdf5 when asked. The file stays
// open while any of its tensors lives; the dataset is found again by path.
class Hdf5Bytes final : public SourceBytes {
 public:
  Hdf5Bytes(std::shared_ptr<const OpenFile> file, std::string group, std::string name, SourceDType dtype,
            uint64_t elements, std::string what)
      : file_(std::move(file)),
        group_(std::move(group)),
        name_(std::move(name)),
        dtype_(dtype),
        elements_(elements),
        size_(elements * SourceDTypeBytes(dtype)),
        what_(std::move(what)) {}

  Status ReadAt(uint64_t offset, std::span<uint8_t> dst) const override {
    if (!Within(offset, dst.size(), size_)) return Internal(what_ + ": a read past the end of its data");
    if (dst.empty()) return Status::Ok();
    Lock lock(Hdf5Mutex());
    if (offset == 0 && dst.size() == size_) return ReadAll(dst.data());
    // A part: libhdf5 reads whole selections, so the whole dataset is read
    // once and kept until a read reaches its end (readers go front to back).
    if (!cache_) {
      if (size_ > std::numeric_limits<size_t>::max()) return OutOfMemory(what_ + " does not fit in memory");
      cache_.reset(new (std::nothrow) uint8_t[size_]);
      if (!cache_) return OutOfMemory("cannot allocate " + Bytes(size_) + " to read " + what_);
      Status s = ReadAll(cache_.get());
      if (!s.ok()) {
        cache_.reset();
        return s;
      }
    }
    std::memcpy(dst.data(), cache_.get() + offset, dst.size());
    if (offset + dst.size() == size_) cache_.reset();
    return Status::Ok();
  }

 private:
  Status ReadAll(uint8_t* dst) const {
    TFQ_ASSIGN_OR_RETURN(Access access, MakeAccess());
    Id group(H5Gopen2(file_->id.get(), group_.c_str(), access.gapl.get()));
    Id ds(group.ok() ? H5Dopen2(group.get(), name_.c_str(), access.dapl.get()) : -1);
    Id type(ds.ok() ? H5Dget_type(ds.get()) : -1);
    Id space(ds.ok() ? H5Dget_space(ds.get()) : -1);
    if (!type.ok() || !space.ok()) return OpenFailure(what_, "cannot be opened again");
    TFQ_ASSIGN_OR_RETURN(SourceDType d, DTypeOf(type.get(), what_));
    if (d != dtype_ || H5Sget_simple_extent_npoints(space.get()) != static_cast<hssize_t>(elements_)) {
      return FormatError(what_ + ": changed since it was listed");
    }
    Id dcpl(H5Dget_create_plist(ds.get()));
    if (!dcpl.ok()) return FormatError(what_ + ": cannot read its storage" + LibError());
    TFQ_RETURN_IF_ERROR(CheckFilters(dcpl.get(), what_));
    TFQ_RETURN_IF_ERROR(CheckChunks(ds.get(), dcpl.get(), space.get(), H5Tget_size(type.get()), what_));
    TFQ_ASSIGN_OR_RETURN(Id mem, MemTypeOf(type.get(), d, what_));
    if (H5Dread(ds.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0) {
      return FormatError(what_ + ": cannot read its data" + LibError());
    }
    return Status::Ok();
  }

  std::shared_ptr<const OpenFile> file_;
  std::string group_, name_;
  SourceDType dtype_;
  uint64_t elements_, size_;
  std::string what_;
  mutable std::unique_ptr<uint8_t[]> cache_;
};

}  // namespace

Result<DatasetInfo> Inspect(hid_t ds, const std::string& what, const Limits& limits) {
  Id dcpl(H5Dget_create_plist(ds));
  if (!dcpl.ok()) return FormatError(what + ": cannot read its storage" + LibError());
  if (H5Pget_layout(dcpl.get()) == H5D_VIRTUAL) {
    return Unsupported(what + ": is a virtual dataset (its data lives in other files), which pack does not follow");
  }
  if (H5Pget_external_count(dcpl.get()) > 0) {
    return Unsupported(what + ": keeps its data in external files, which pack does not read");
  }
  TFQ_RETURN_IF_ERROR(CheckFilters(dcpl.get(), what));
  Id type(H5Dget_type(ds));
  if (!type.ok()) return FormatError(what + ": cannot read its element type" + LibError());
  DatasetInfo info;
  TFQ_ASSIGN_OR_RETURN(info.dtype, DTypeOf(type.get(), what));
  Id space(H5Dget_space(ds));
  const H5S_class_t sc = space.ok() ? H5Sget_simple_extent_type(space.get()) : H5S_NO_CLASS;
  if (sc == H5S_NULL) return Unsupported(what + ": has a null dataspace (h5py.Empty): no shape, no values");
  if (sc != H5S_SCALAR && sc != H5S_SIMPLE) return FormatError(what + ": has an unreadable dataspace" + LibError());
  if (sc == H5S_SIMPLE) {
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0 || rank > H5S_MAX_RANK) return FormatError(what + ": has an unreadable rank" + LibError());
    hsize_t dims[H5S_MAX_RANK];
    if (H5Sget_simple_extent_dims(space.get(), dims, nullptr) != rank) {
      return FormatError(what + ": has unreadable dimensions" + LibError());
    }
    for (int i = 0; i < rank; ++i) {
      // Beyond int64 is beyond any limit: CheckSourceShape reports that.
      info.shape.push_back(static_cast<int64_t>(std::min<hsize_t>(dims[i], std::numeric_limits<int64_t>::max())));
    }
  }
  TFQ_ASSIGN_OR_RETURN(info.elements, CheckSourceShape(info.shape, limits, what));
  return info;
}

std::shared_ptr<const SourceBytes> DatasetBytes(std::shared_ptr<const OpenFile> file, std::string group,
                                                std::string name, SourceDType dtype, uint64_t elements,
                                                std::string what) {
  return std::make_shared<Hdf5Bytes>(std::move(file), std::move(group), std::move(name), dtype, elements,
                                     std::move(what));
}

}  // namespace tfq::h5
