// SPDX-License-Identifier: Apache-2.0
// Keras weights in HDF5 through libhdf5: Keras 2 / tf.keras .h5 files
// (save_weights, legacy model.save) and the model.weights.h5 inside a
// Keras 3 .keras archive, named and ordered as tensorflowjs_converter
// (keras_h5_conversion.py) names and orders them.
//
// libhdf5 reads the file; this file decides which objects are weights and
// keeps hostile files within bounds: the group walks use explicit stacks
// with a depth and a visit bound, external links, external raw-data files,
// virtual datasets and filter plugins are refused (each would read other
// files or load code), every element count passes CheckSourceShape before
// anything is allocated, and compressed chunks are sized before libhdf5
// 1.10 trusts them. libhdf5's own parsing of damaged metadata is beyond
// reach here. Debian's libhdf5 is not thread-safe: every call into it
// holds one process-wide lock.
#include "tfjs_quant/hdf5.h"

#include <hdf5.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <limits>
#include <mutex>
#include <new>
#include <optional>
#include <utility>

#include "pack/zip.h"
#include "tfjs_quant/text.h"

namespace tfq {
namespace {

// Longest attribute string (a layer or weight name) and all of one
// attribute's strings together: far above what Keras writes.
constexpr size_t kMaxNameBytes = size_t{1} << 16;
constexpr uint64_t kMaxAttrBytes = uint64_t{64} << 20;
// Groups nested deeper than this are refused (Keras nests a few levels).
constexpr size_t kMaxDepth = 64;
// The largest model.weights.h5 read from a .keras archive: it is held in
// memory (libhdf5 opens it as a file image).
constexpr uint64_t kMaxImageBytes = uint64_t{2} << 30;

std::recursive_mutex& Hdf5Mutex() {
  static std::recursive_mutex m;
  return m;
}
using Lock = std::lock_guard<std::recursive_mutex>;

void InitLibrary() {
  static const bool done = [] {
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // failures become Status values, not stderr text
    H5PLset_loading_state(0);                     // a file's filter id must never load a plugin
    return true;
  }();
  (void)done;
}

herr_t MostSpecific(unsigned n, const H5E_error2_t* e, void* data) {
  if (n == 0 && e->desc) *static_cast<std::string*>(data) = e->desc;
  return 0;
}

// " (libhdf5: ...)": the most specific message of the failure just seen.
std::string LibError() {
  std::string desc;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, MostSpecific, &desc);
  H5Eclear2(H5E_DEFAULT);
  return desc.empty() ? std::string() : " (libhdf5: " + Printable(desc) + ")";
}

// An identifier of any kind, released when it goes (with the lock held).
class Id {
 public:
  Id() = default;
  explicit Id(hid_t id) : id_(id) {}
  Id(Id&& o) noexcept : id_(std::exchange(o.id_, -1)) {}
  Id& operator=(Id&& o) noexcept {
    if (this != &o) {
      Reset();
      id_ = std::exchange(o.id_, -1);
    }
    return *this;
  }
  ~Id() { Reset(); }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  void Reset() {
    if (id_ >= 0) H5Idec_ref(id_);
    id_ = -1;
  }
  hid_t id_ = -1;
};

// An open file shared by the tensors read from it.
struct OpenFile {
  Id id;
  ~OpenFile() {
    Lock lock(Hdf5Mutex());
    id = Id();
  }
};

// Set when a path went through an external link (the lock held): such a
// failure is then reported as what it is, not as a missing object.
bool external_link_refused = false;

herr_t RefuseExternalLink(const char*, const char*, const char*, const char*, unsigned*, hid_t, void*) {
  external_link_refused = true;
  return -1;
}

// Why opening `what` failed.
Status OpenFailure(const std::string& what, const std::string& otherwise) {
  if (std::exchange(external_link_refused, false)) {
    H5Eclear2(H5E_DEFAULT);
    return Unsupported(what + ": is reached through an external link (into another file), which pack does not follow");
  }
  return FormatError(what + ": " + otherwise + LibError());
}

// Property lists under which no path leads into another file.
struct Access {
  Id lapl, gapl, dapl;
};
Result<Access> MakeAccess() {
  Access a{Id(H5Pcreate(H5P_LINK_ACCESS)), Id(H5Pcreate(H5P_GROUP_ACCESS)), Id(H5Pcreate(H5P_DATASET_ACCESS))};
  for (const Id* p : {&a.lapl, &a.gapl, &a.dapl}) {
    if (!p->ok() || H5Pset_elink_cb(p->get(), RefuseExternalLink, nullptr) < 0) {
      return Internal("cannot set up libhdf5 property lists" + LibError());
    }
  }
  return a;
}

Result<std::shared_ptr<OpenFile>> OpenWith(const char* name, Id fapl, const std::string& file) {
  // No sieve buffer: whole datasets are read at once, and libhdf5 1.10's
  // sieve-buffer code reads past its buffer on some damaged files.
  if (!fapl.ok() || H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG) < 0 ||
      H5Pset_sieve_buf_size(fapl.get(), 0) < 0) {
    return Internal("cannot set up libhdf5 to open " + file + LibError());
  }
  auto f = std::make_shared<OpenFile>();
  f->id = Id(H5Fopen(name, H5F_ACC_RDONLY, fapl.get()));
  if (!f->id.ok()) return FormatError(file + " is not a readable HDF5 file" + LibError());
  return f;
}

// Appends the strings of attribute `attr` (fixed-length, as numpy 'S'
// arrays, or variable-length). An attribute with no elements is an empty
// list whatever its type: Keras writes np.asarray([]), float64, for a layer
// without weights.
Status ReadStringAttr(hid_t obj, const std::string& attr, const std::string& where, const Limits& limits,
                      std::vector<std::string>* out) {
  const std::string what = where + ": attribute " + Quoted(attr);
  Id a(H5Aopen(obj, attr.c_str(), H5P_DEFAULT));
  Id space(a.ok() ? H5Aget_space(a.get()) : -1);
  Id type(a.ok() ? H5Aget_type(a.get()) : -1);
  const hssize_t n = space.ok() ? H5Sget_simple_extent_npoints(space.get()) : -1;
  if (!type.ok() || n < 0) return FormatError(what + ": cannot be read" + LibError());
  if (n == 0) return Status::Ok();
  if (H5Tget_class(type.get()) != H5T_STRING) return FormatError(what + ": expected strings");
  const auto count = static_cast<uint64_t>(n);
  if (count > limits.weights || out->size() + count > limits.weights) {
    return LimitExceeded(what + ": " + std::to_string(out->size() + count) + " names exceed " +
                         LimitText("weights", limits.weights));
  }
  const htri_t variable = H5Tis_variable_str(type.get());
  if (variable < 0) return FormatError(what + ": cannot be read" + LibError());
  if (variable > 0) {
    Id mem(H5Tcopy(H5T_C_S1));
    // The file's character set, or libhdf5 finds no conversion (h5py writes UTF-8).
    if (!mem.ok() || H5Tset_size(mem.get(), H5T_VARIABLE) < 0 ||
        H5Tset_cset(mem.get(), H5Tget_cset(type.get())) < 0) {
      return FormatError(what + ": cannot be read" + LibError());
    }
    std::vector<char*> ptrs(count, nullptr);
    if (H5Aread(a.get(), mem.get(), ptrs.data()) < 0) return FormatError(what + ": cannot be read" + LibError());
    Status s;
    for (char* p : ptrs) {
      const size_t len = p ? strnlen(p, kMaxNameBytes + 1) : 0;
      if (len > kMaxNameBytes) {
        s = LimitExceeded(what + ": a name longer than " + Bytes(kMaxNameBytes));
        break;
      }
      out->emplace_back(p ? p : "", len);
    }
    H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
    return s;
  }
  const size_t size = H5Tget_size(type.get());
  if (size == 0) return FormatError(what + ": strings of 0 bytes");
  if (size > kMaxNameBytes || count * size > kMaxAttrBytes) {
    return LimitExceeded(what + ": " + std::to_string(count) + " names of " + Bytes(size) + " each; pack reads " +
                         "names of at most " + Bytes(kMaxNameBytes) + ", " + Bytes(kMaxAttrBytes) + " in all");
  }
  std::string buf(count * size, '\0');
  if (H5Aread(a.get(), type.get(), buf.data()) < 0) return FormatError(what + ": cannot be read" + LibError());
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view s(buf.data() + i * size, size);
    while (!s.empty() && s.back() == '\0') s.remove_suffix(1);  // numpy's 'S' drops trailing NULs
    out->emplace_back(s);
  }
  return Status::Ok();
}

// The names in attribute `attr`, or nullopt if there is none. Keras splits
// a list too large for one attribute header into attr0, attr1, ...
Result<std::optional<std::vector<std::string>>> ReadNames(hid_t obj, const std::string& attr, const std::string& where,
                                                           const Limits& limits) {
  std::vector<std::string> names;
  htri_t e = H5Aexists(obj, attr.c_str());
  if (e < 0) return FormatError(where + ": cannot list its attributes" + LibError());
  if (e > 0) {
    TFQ_RETURN_IF_ERROR(ReadStringAttr(obj, attr, where, limits, &names));
  } else {
    for (uint64_t i = 0; i <= limits.weights; ++i) {
      const std::string part = attr + std::to_string(i);
      e = H5Aexists(obj, part.c_str());
      if (e < 0) return FormatError(where + ": cannot list its attributes" + LibError());
      if (e == 0) {
        if (i == 0) return std::optional<std::vector<std::string>>();
        break;
      }
      TFQ_RETURN_IF_ERROR(ReadStringAttr(obj, part, where, limits, &names));
    }
  }
  for (const std::string& n : names) {
    if (n.find('\0') != std::string::npos || !IsUtf8(n)) {
      return FormatError(where + ": attribute " + Quoted(attr) + " holds " + Quoted(n) +
                         ", which is not a NUL-free UTF-8 name");
    }
  }
  return std::optional<std::vector<std::string>>(std::move(names));
}

struct Link {
  std::string name;
  H5L_type_t type;
};

herr_t CollectLink(hid_t, const char* name, const H5L_info_t* info, void* data) {
  auto* links = static_cast<std::vector<Link>*>(data);
  if (strnlen(name, kMaxNameBytes + 1) > kMaxNameBytes) return -1;
  links->push_back({name, info->type});
  return 0;
}

// A group's members in h5py's order: by creation if the group tracks it,
// else by name (what the converter's `group.keys()` gives).
Result<std::vector<Link>> Members(hid_t group, const std::string& where, const Limits& limits) {
  H5G_info_t info;
  if (H5Gget_info(group, &info) < 0) return FormatError(where + ": cannot list its members" + LibError());
  if (info.nlinks > limits.weights) {
    return LimitExceeded(where + ": " + std::to_string(info.nlinks) + " members exceed " +
                         LimitText("weights", limits.weights));
  }
  H5_index_t index = H5_INDEX_NAME;
  Id gcpl(H5Gget_create_plist(group));
  unsigned order = 0;
  if (gcpl.ok() && H5Pget_link_creation_order(gcpl.get(), &order) >= 0 && (order & H5P_CRT_ORDER_TRACKED)) {
    index = H5_INDEX_CRT_ORDER;
  }
  std::vector<Link> links;
  links.reserve(info.nlinks);
  if (H5Literate(group, index, H5_ITER_INC, nullptr, CollectLink, &links) < 0) {
    // Tracked but not indexed: h5py would fail; by name is the next best.
    links.clear();
    if (index == H5_INDEX_NAME || H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, CollectLink, &links) < 0) {
      return FormatError(where + ": cannot list its members" + LibError());
    }
  }
  return links;
}

std::string Join(const std::string& group, std::string_view name) {
  if (group.empty()) return std::string(name);
  return (group == "/" ? std::string() : group) + "/" + std::string(name);
}

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

// What a dataset holds, checked: a numeric type, a shape within limits,
// data in this file.
struct DatasetInfo {
  SourceDType dtype;
  std::vector<int64_t> shape;
  uint64_t elements = 0;
};
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
    if (offset > size_ || dst.size() > size_ - offset) return Internal(what_ + ": a read past the end of its data");
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

// Lists the weights of one open file (the lock held).
class Lister {
 public:
  Lister(std::shared_ptr<OpenFile> file, std::string file_text, const Limits& limits, Access access)
      : file_(std::move(file)), file_text_(std::move(file_text)), limits_(limits), access_(std::move(access)) {}

  // Keras 2: h5_weights_to_tfjs_format (the root's layer_names, in order)
  // or h5_merged_saved_model_to_tfjs_format (the members of
  // /model_weights, in h5py's order, whatever its layer_names says).
  Status Keras2() {
    const hid_t root = file_->id.get();
    const htri_t whole = H5Lexists(root, "model_weights", access_.lapl.get());
    if (whole < 0) return FormatError(file_text_ + ": cannot list the root group" + LibError());
    if (whole > 0) {
      TFQ_ASSIGN_OR_RETURN(Id mw, OpenGroup(root, "/", "model_weights"));
      TFQ_ASSIGN_OR_RETURN(std::vector<Link> links, Members(mw.get(), Where("/model_weights"), limits_));
      for (const Link& l : links) {
        TFQ_RETURN_IF_ERROR(CheckLink(l, "/model_weights"));
        TFQ_RETURN_IF_ERROR(Namespace(mw.get(), "/model_weights", l.name));
      }
      return Status::Ok();
    }
    TFQ_ASSIGN_OR_RETURN(auto names, ReadNames(root, "layer_names", file_text_, limits_));
    if (!names) {
      // Keras 3's save_weights (x.weights.h5) is laid out as the
      // model.weights.h5 of a .keras archive.
      const htri_t v3 = H5Lexists(root, "layers", access_.lapl.get());
      if (v3 > 0) return Keras3();
      return FormatError(file_text_ +
                         " is not a Keras weights file: its root has no 'layer_names' attribute, no /model_weights "
                         "group and no /layers group");
    }
    for (const std::string& layer : *names) TFQ_RETURN_IF_ERROR(Namespace(root, "/", layer));
    return Status::Ok();
  }

  // Keras 3 (h5_v3_merged_saved_model_to_tfjs_format): every dataset, named
  // by its path from the root ("layers/dense/vars/0"), depth first in h5py's
  // order; /optimizer holds the optimizer's state, not model weights.
  Status Keras3() {
    struct Frame {
      Id group;
      std::string path;
      std::vector<Link> links;
      size_t next = 0;
    };
    std::vector<Frame> stack;
    TFQ_ASSIGN_OR_RETURN(Id root, OpenGroup(file_->id.get(), "", "/"));
    TFQ_ASSIGN_OR_RETURN(std::vector<Link> links, Members(root.get(), Where("/"), limits_));
    stack.push_back({std::move(root), "/", std::move(links)});
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next == f.links.size()) {
        stack.pop_back();
        continue;
      }
      const Link& l = f.links[f.next++];
      if (stack.size() == 1 && l.name == "optimizer") continue;
      TFQ_RETURN_IF_ERROR(CheckLink(l, f.path));
      const std::string path = Join(f.path, l.name);
      TFQ_ASSIGN_OR_RETURN(H5I_type_t type, Visit(f.group.get(), path, l.name));
      if (type == H5I_DATASET) {
        TFQ_RETURN_IF_ERROR(AddDataset(f.group.get(), f.path, l.name, path.substr(1)));
      } else if (type == H5I_GROUP) {
        TFQ_RETURN_IF_ERROR(CheckDepth(stack.size(), path));
        TFQ_ASSIGN_OR_RETURN(Id g, OpenGroup(f.group.get(), f.path, l.name));
        TFQ_ASSIGN_OR_RETURN(std::vector<Link> sub, Members(g.get(), Where(path), limits_));
        stack.push_back({std::move(g), path, std::move(sub)});  // invalidates f
      }
    }
    return Status::Ok();
  }

  std::vector<SourceTensor>& tensors() { return tensors_; }

 private:
  std::string Where(const std::string& path) const { return file_text_ + ": " + Quoted(path); }

  Status CheckLink(const Link& l, const std::string& group) const {
    if (l.type == H5L_TYPE_HARD || l.type == H5L_TYPE_SOFT) return Status::Ok();
    return Unsupported(Where(Join(group, l.name)) + ": is an external or user-defined link (to another file), which " +
                       "pack does not follow");
  }

  Status CheckDepth(size_t depth, const std::string& path) const {
    if (depth < kMaxDepth) return Status::Ok();
    return LimitExceeded(Where(path) + ": groups nested more than " + std::to_string(kMaxDepth) + " deep");
  }

  // The kind of object `name` of `loc` is, counting it against the visit
  // bound (hard links can make a small file's tree exponentially large).
  Result<H5I_type_t> Visit(hid_t loc, const std::string& path, const std::string& name) {
    if (++visits_ > 4 * limits_.weights + 1024) {
      return LimitExceeded(file_text_ + ": more than " + std::to_string(visits_ - 1) +
                           " groups and datasets to visit (each path through hard links counts), beyond what " +
                           LimitText("weights", limits_.weights) + " allows");
    }
    Id o(H5Oopen(loc, name.c_str(), access_.lapl.get()));
    if (!o.ok()) return OpenFailure(Where(path), "cannot be opened");
    return H5Iget_type(o.get());
  }

  Result<Id> OpenGroup(hid_t loc, const std::string& loc_path, const std::string& name) const {
    Id g(H5Gopen2(loc, name.c_str(), access_.gapl.get()));
    if (!g.ok()) return OpenFailure(Where(Join(loc_path, name)), "expected a group");
    return g;
  }

  // _convert_h5_group: a group with a weight_names attribute holds those
  // weights (":0" dropped from their names); one without is a namespace
  // whose members are converted in turn.
  Status Namespace(hid_t loc, const std::string& loc_path, const std::string& name) {
    struct Frame {
      Id group;
      std::string path;
      std::vector<Link> links;
      size_t next = 0;
    };
    std::vector<Frame> stack;
    auto enter = [&](hid_t parent, const std::string& parent_path, const std::string& member) -> Status {
      const std::string path = Join(parent_path, member);
      TFQ_RETURN_IF_ERROR(CheckDepth(stack.size(), path));
      TFQ_ASSIGN_OR_RETURN(H5I_type_t type, Visit(parent, path, member));
      if (type != H5I_GROUP) {
        return FormatError(Where(path) + ": expected a layer group (with a 'weight_names' attribute), found " +
                           (type == H5I_DATASET ? "a dataset" : "another kind of object"));
      }
      TFQ_ASSIGN_OR_RETURN(Id g, OpenGroup(parent, parent_path, member));
      TFQ_ASSIGN_OR_RETURN(auto weights, ReadNames(g.get(), "weight_names", Where(path), limits_));
      if (weights) {
        for (const std::string& w : *weights) {
          const std::string tensor = w.ends_with(":0") ? w.substr(0, w.size() - 2) : w;
          TFQ_RETURN_IF_ERROR(AddDataset(g.get(), path, w, tensor));
        }
        return Status::Ok();
      }
      TFQ_ASSIGN_OR_RETURN(std::vector<Link> links, Members(g.get(), Where(path), limits_));
      stack.push_back({std::move(g), path, std::move(links)});
      return Status::Ok();
    };
    TFQ_RETURN_IF_ERROR(enter(loc, loc_path, name));
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next == f.links.size()) {
        stack.pop_back();
        continue;
      }
      const Link& l = f.links[f.next++];
      TFQ_RETURN_IF_ERROR(CheckLink(l, f.path));
      const hid_t parent = f.group.get();
      const std::string parent_path = f.path, member = l.name;  // `enter` may move the stack
      TFQ_RETURN_IF_ERROR(enter(parent, parent_path, member));
    }
    return Status::Ok();
  }

  // Adds dataset `name` of group `group` (at `group_path`) as `tensor`.
  Status AddDataset(hid_t group, const std::string& group_path, const std::string& name, const std::string& tensor) {
    const std::string what = Where(Join(group_path, name));
    if (tensors_.size() >= limits_.weights) {
      return LimitExceeded(what + ": one dataset more than " + LimitText("weights", limits_.weights) + " allows");
    }
    if (!IsUtf8(tensor)) return FormatError(what + ": its name is not UTF-8");
    Id ds(H5Dopen2(group, name.c_str(), access_.dapl.get()));
    if (!ds.ok()) return OpenFailure(what, "no such dataset, though " + Quoted(group_path) + " lists it");
    TFQ_ASSIGN_OR_RETURN(DatasetInfo info, Inspect(ds.get(), what, limits_));
    SourceTensor t;
    t.name = tensor;
    t.dtype = info.dtype;
    t.shape = std::move(info.shape);
    t.num_elements = info.elements;
    t.origin = file_text_ + ": dataset " + Quoted(Join(group_path, name));
    t.bytes = std::make_shared<Hdf5Bytes>(file_, group_path, name, info.dtype, info.elements, what);
    tensors_.push_back(std::move(t));
    return Status::Ok();
  }

  std::shared_ptr<OpenFile> file_;
  std::string file_text_;
  const Limits& limits_;
  Access access_;
  uint64_t visits_ = 0;
  std::vector<SourceTensor> tensors_;
};

}  // namespace

Status ReadHdf5(const std::string& disk_path, std::string_view display, const Limits& limits,
                std::vector<SourceTensor>* out) {
  const std::string file = Printable(display, 1024);
  std::error_code ec;
  const auto st = std::filesystem::status(disk_path, ec);
  if (!std::filesystem::exists(st)) return NotFound(file + ": no such file");
  if (!std::filesystem::is_regular_file(st)) return UnsafePath(file + ": not a plain file");
  Lock lock(Hdf5Mutex());
  InitLibrary();
  external_link_refused = false;
  const htri_t is = H5Fis_hdf5(disk_path.c_str());
  if (is < 0) return IOError(file + ": cannot be read" + LibError());
  if (is == 0) return FormatError(file + " is not an HDF5 file (no HDF5 signature)");
  TFQ_ASSIGN_OR_RETURN(auto f, OpenWith(disk_path.c_str(), Id(H5Pcreate(H5P_FILE_ACCESS)), file));
  TFQ_ASSIGN_OR_RETURN(Access access, MakeAccess());
  Lister lister(std::move(f), file, limits, std::move(access));
  TFQ_RETURN_IF_ERROR(lister.Keras2());
  for (auto& t : lister.tensors()) out->push_back(std::move(t));
  return Status::Ok();
}

Status ReadKeras(FileSource& source, std::string_view path, const Limits& limits, std::vector<SourceTensor>* out) {
  const std::string file = source.Describe(path);
  TFQ_ASSIGN_OR_RETURN(auto raw, OpenShared(source, path));
  TFQ_ASSIGN_OR_RETURN(ZipArchive zip, ZipArchive::Open(std::move(raw), file, limits));
  const ZipArchive::Member* m = zip.Find("model.weights.h5");
  if (!m) {
    if (zip.Find("model.weights.npz")) {
      return Unsupported(file + ": holds its weights as model.weights.npz; save the model with the default HDF5 "
                                "weights or read the .npz with pack directly");
    }
    return FormatError(file + " is not a Keras 3 archive: it has no model.weights.h5 member");
  }
  const std::string where = file + ": model.weights.h5";
  if (m->size == 0) return FormatError(where + " is empty");
  if (m->size > kMaxImageBytes) {
    return LimitExceeded(where + ": " + Bytes(m->size) + "; pack reads at most " + Bytes(kMaxImageBytes) +
                         " of weights from a .keras archive (it is held in memory)");
  }
  TFQ_ASSIGN_OR_RETURN(auto member, zip.OpenMember(*m, kMaxImageBytes));
  std::span<const uint8_t> image = member->InMemory();
  std::unique_ptr<uint8_t[]> copy;
  if (image.empty()) {
    const uint64_t size = member->Size();
    copy.reset(new (std::nothrow) uint8_t[size]);
    if (!copy) return OutOfMemory("cannot allocate " + Bytes(size) + " to read " + where);
    TFQ_RETURN_IF_ERROR(member->ReadAt(0, std::span<uint8_t>(copy.get(), size)));
    image = std::span<const uint8_t>(copy.get(), size);
  }
  Lock lock(Hdf5Mutex());
  InitLibrary();
  external_link_refused = false;
  // The core driver copies the image: it serves every later read from
  // memory and touches no file on disk (no backing store).
  Id fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (!fapl.ok() || H5Pset_fapl_core(fapl.get(), size_t{1} << 20, 0) < 0 ||
      H5Pset_file_image(fapl.get(), const_cast<uint8_t*>(image.data()), image.size()) < 0) {
    return Internal("cannot set up libhdf5 to read " + where + LibError());
  }
  copy.reset();
  member.reset();
  TFQ_ASSIGN_OR_RETURN(auto f, OpenWith("model.weights.h5", std::move(fapl), where));
  TFQ_ASSIGN_OR_RETURN(Access access, MakeAccess());
  Lister lister(std::move(f), where, limits, std::move(access));
  TFQ_RETURN_IF_ERROR(lister.Keras3());
  for (auto& t : lister.tensors()) out->push_back(std::move(t));
  return Status::Ok();
}

}  // namespace tfq
