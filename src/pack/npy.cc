// SPDX-License-Identifier: Apache-2.0
// numpy's .npy format (versions 1.0 to 3.0) and .npz archives of them.
// The header is a Python dict literal; it is parsed here as exactly the
// form numpy writes ({'descr': '<f4', 'fortran_order': False, 'shape':
// (3, 4), }), never evaluated. Little-endian C-order data is read in place;
// big-endian or Fortran-ordered data is swapped or reordered as it is read.
#include <algorithm>
#include <cstring>
#include <vector>

#include "pack/zip.h"
#include "tfjs_quant/manifest.h"
#include "tfjs_quant/pack.h"
#include "tfjs_quant/text.h"
#include "util/bits.h"

namespace tfq {
namespace {

// A header this long holds no shape tfjs could take (numpy's own reader
// stops at 10,000 bytes unless told otherwise).
constexpr uint64_t kMaxHeaderBytes = uint64_t{1} << 20;
// Room for the npy header in a deflated npz member, beyond its data.
constexpr uint64_t kMemberHeaderRoom = uint64_t{1} << 20;
// Bytes read at a time when swapping or reordering.
constexpr uint64_t kChunkBytes = uint64_t{1} << 20;

struct NpyHeader {
  SourceDType dtype = SourceDType::kFloat32;
  bool swap = false;     // big-endian elements of more than one byte
  bool fortran = false;  // first axis fastest
  std::vector<int64_t> shape;
  uint64_t data_offset = 0;
};

// The header dict, as numpy writes it: string keys, and values that are
// strings, True/False, or tuples of integers.
class DictParser {
 public:
  DictParser(std::string_view text, const std::string& what) : s_(text), what_(what) {}

  Status Parse(const Limits& limits, std::string* descr, NpyHeader* h) {
    bool seen_descr = false, seen_fortran = false, seen_shape = false;
    SkipSpace();
    TFQ_RETURN_IF_ERROR(Expect('{'));
    while (true) {
      SkipSpace();
      if (Peek('}')) break;
      std::string key;
      TFQ_RETURN_IF_ERROR(String(&key));
      SkipSpace();
      TFQ_RETURN_IF_ERROR(Expect(':'));
      SkipSpace();
      bool* seen = key == "descr" ? &seen_descr : key == "fortran_order" ? &seen_fortran : key == "shape" ? &seen_shape : nullptr;
      if (!seen) return Error("the key " + Quoted(key) + " (expected 'descr', 'fortran_order' and 'shape')");
      if (*seen) return Error("the key " + Quoted(key) + " a second time");
      *seen = true;
      if (key == "descr") {
        if (Peek('[') || Peek('(')) {
          return Unsupported(what_ + ": a structured dtype (a list of fields); only plain numeric and bool arrays can be read");
        }
        TFQ_RETURN_IF_ERROR(String(descr));
      } else if (key == "fortran_order") {
        TFQ_RETURN_IF_ERROR(Bool(&h->fortran));
      } else {
        TFQ_RETURN_IF_ERROR(Shape(limits, &h->shape));
      }
      SkipSpace();
      if (Peek('}')) break;
      TFQ_RETURN_IF_ERROR(Expect(','));
    }
    ++i_;
    SkipSpace();
    if (i_ != s_.size()) return Error("more after the closing '}'");
    if (!seen_descr || !seen_fortran || !seen_shape) {
      return FormatError(what_ + ": the npy header lacks the key '" +
                         (!seen_descr ? "descr" : !seen_fortran ? "fortran_order" : "shape") + "'");
    }
    return Status::Ok();
  }

 private:
  Status Error(const std::string& found) const {
    return FormatError(what_ + ": npy header, byte " + std::to_string(i_) + ": unexpected " + found + " in " +
                       Quoted(s_, 200));
  }
  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  bool Peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  std::string Found() const { return i_ < s_.size() ? Quoted(s_.substr(i_, 1)) : "the end"; }
  Status Expect(char c) {
    if (!Peek(c)) return Error(Found() + " (expected '" + std::string(1, c) + "')");
    ++i_;
    return Status::Ok();
  }
  Status String(std::string* out) {
    if (!Peek('\'') && !Peek('"')) return Error(Found() + " (expected a string)");
    const char quote = s_[i_++];
    const size_t start = i_;
    while (i_ < s_.size() && s_[i_] != quote) {
      if (s_[i_] == '\\') return Error("a backslash escape");
      ++i_;
    }
    if (i_ == s_.size()) return Error("the end (an unterminated string)");
    *out = std::string(s_.substr(start, i_ - start));
    ++i_;
    return Status::Ok();
  }
  Status Bool(bool* out) {
    for (auto [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      if (s_.substr(i_, std::strlen(word)) == word) {
        i_ += std::strlen(word);
        *out = value;
        return Status::Ok();
      }
    }
    return Error(Found() + " (expected True or False)");
  }
  Status Shape(const Limits& limits, std::vector<int64_t>* shape) {
    TFQ_RETURN_IF_ERROR(Expect('('));
    bool comma = false;  // after the last dimension: "(3,)" is a tuple, "(3)" an integer
    while (true) {
      SkipSpace();
      if (Peek(')')) break;
      if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return Error(Found() + " (expected a dimension)");
      uint64_t d = 0;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
        const uint64_t digit = static_cast<uint64_t>(s_[i_] - '0');
        if (d > (uint64_t{INT64_MAX} - digit) / 10) return Error("a dimension beyond 2^63");
        d = d * 10 + digit;
        ++i_;
      }
      if (Peek('L')) ++i_;  // Python 2's long literals, in files numpy wrote then
      if (shape->size() >= limits.rank) {
        return LimitExceeded(what_ + ": the shape has more than " + std::to_string(limits.rank) +
                             " dimensions, more than " + LimitText("rank", limits.rank) + " allows",
                             "rank");
      }
      shape->push_back(static_cast<int64_t>(d));
      SkipSpace();
      comma = !Peek(')');
      if (!comma) break;
      TFQ_RETURN_IF_ERROR(Expect(','));
    }
    if (shape->size() == 1 && !comma) return Error("'(n)', an integer (a 1-d shape is written (n,))");
    ++i_;
    return Status::Ok();
  }

  std::string_view s_;
  const std::string& what_;
  size_t i_ = 0;
};

// descr: byte order, kind, item size ('<f4', '|b1', '>i8').
Status ParseDescr(const std::string& descr, const std::string& what, NpyHeader* h) {
  auto refuse = [&](std::string_view kind) {
    return Unsupported(what + ": arrays of dtype " + Quoted(descr) + " (" + std::string(kind) +
                       ") cannot be read; numeric and bool arrays can");
  };
  if (descr.size() < 2 || std::string_view("<>|=").find(descr[0]) == std::string_view::npos) {
    return FormatError(what + ": the npy descr " + Quoted(descr) + " does not start with a byte order (<, >, |)");
  }
  const char order = descr[0], kind = descr[1];
  const std::string_view size = std::string_view(descr).substr(2);
  struct Type {
    char kind;
    std::string_view size;
    SourceDType dtype;
  };
  static constexpr Type kTypes[] = {
      {'f', "2", SourceDType::kFloat16}, {'f', "4", SourceDType::kFloat32}, {'f', "8", SourceDType::kFloat64},
      {'i', "1", SourceDType::kInt8},    {'i', "2", SourceDType::kInt16},   {'i', "4", SourceDType::kInt32},
      {'i', "8", SourceDType::kInt64},   {'u', "1", SourceDType::kUInt8},   {'u', "2", SourceDType::kUInt16},
      {'u', "4", SourceDType::kUInt32},  {'u', "8", SourceDType::kUInt64},  {'b', "1", SourceDType::kBool},
  };
  for (const Type& t : kTypes) {
    if (t.kind != kind || t.size != size) continue;
    h->dtype = t.dtype;
    const bool multi = SourceDTypeBytes(t.dtype) > 1;
    if (multi && order != '<' && order != '>') {
      return FormatError(what + ": the npy descr " + Quoted(descr) + " gives no byte order for a multi-byte type");
    }
    h->swap = multi && order == '>';
    return Status::Ok();
  }
  switch (kind) {
    case 'O': return refuse("Python objects");
    case 'U': case 'S': case 'a': return refuse("strings");
    case 'c': return refuse("complex numbers");
    case 'V': return refuse("raw or structured records");
    case 'M': case 'm': return refuse("dates and times");
    case 'f': return refuse("a float size tfjs has no type for");
    default: return refuse("an unknown kind");
  }
}

Status ParseHeader(const RandomAccessFile& file, const std::string& what, const Limits& limits, NpyHeader* h) {
  const uint64_t size = file.Size();
  uint8_t pre[12] = {};
  TFQ_RETURN_IF_ERROR(file.ReadAt(0, std::span<uint8_t>(pre, std::min<uint64_t>(size, sizeof pre))));
  if (size < 10 || std::memcmp(pre, "\x93NUMPY", 6) != 0) {
    return FormatError(what + ": not an npy file: it does not start with \\x93NUMPY and a version");
  }
  const unsigned major = pre[6], minor = pre[7];
  if (minor != 0 || major < 1 || major > 3) {
    return Unsupported(what + ": npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                       "; versions 1.0, 2.0 and 3.0 can be read");
  }
  uint64_t header_len, start;
  if (major == 1) {
    header_len = LoadLE<uint16_t>(pre + 8);
    start = 10;
  } else {
    if (size < 12) return FormatError(what + ": the npy preamble is cut short");
    header_len = LoadLE<uint32_t>(pre + 8);
    start = 12;
  }
  if (header_len > kMaxHeaderBytes) {
    return FormatError(what + ": an npy header of " + Bytes(header_len) + " (at most " + Bytes(kMaxHeaderBytes) +
                       " can be read)");
  }
  if (!Within(start, header_len, size)) {
    return FormatError(what + ": the npy header of " + Bytes(header_len) + " runs past the end of the file (" +
                       Bytes(size) + ")");
  }
  std::string text(static_cast<size_t>(header_len), '\0');
  TFQ_RETURN_IF_ERROR(file.ReadAt(start, std::span<uint8_t>(reinterpret_cast<uint8_t*>(text.data()), text.size())));
  std::string descr;
  TFQ_RETURN_IF_ERROR(DictParser(text, what).Parse(limits, &descr, h));
  TFQ_RETURN_IF_ERROR(ParseDescr(descr, what, h));
  h->data_offset = start + header_len;
  return Status::Ok();
}

// Elements that are big-endian, or stored first axis fastest, or both:
// converted chunk by chunk as they are read.
class ConvertedBytes : public SourceBytes {
 public:
  ConvertedBytes(std::shared_ptr<const RandomAccessFile> file, uint64_t data_offset, unsigned item, bool swap,
                 bool fortran, std::vector<int64_t> shape, uint64_t total)
      : file_(std::move(file)), data_offset_(data_offset), item_(item), swap_(swap), fortran_(fortran),
        shape_(std::move(shape)), total_(total) {}

  Status ReadAt(uint64_t offset, std::span<uint8_t> dst) const override {
    if (!Within(offset, dst.size(), total_)) return Internal("a read past the end of an npy array");
    if (dst.empty()) return Status::Ok();
    return fortran_ ? ReadFortran(offset, dst) : ReadSwapped(offset, dst);
  }

 private:
  void Swap(uint8_t* p, uint64_t n) const {
    if (!swap_) return;
    for (uint64_t i = 0; i < n; i += item_) std::reverse(p + i, p + i + item_);
  }

  Status ReadSwapped(uint64_t offset, std::span<uint8_t> dst) const {
    const uint64_t begin = offset / item_ * item_, end = offset + dst.size();
    std::vector<uint8_t> buf(static_cast<size_t>(std::min(kChunkBytes / item_ * item_, end - begin + item_)));
    for (uint64_t at = begin; at < end;) {
      const uint64_t n = std::min<uint64_t>(buf.size(), (end - at + item_ - 1) / item_ * item_);
      TFQ_RETURN_IF_ERROR(file_->ReadAt(data_offset_ + at, std::span<uint8_t>(buf.data(), n)));
      Swap(buf.data(), n);
      const uint64_t lo = std::max(at, offset), hi = std::min(at + n, end);
      std::memcpy(dst.data() + (lo - offset), buf.data() + (lo - at), hi - lo);
      at += n;
    }
    return Status::Ok();
  }

  // The file holds the array first axis fastest. It is read in order, each
  // element's C-order position following from a running multi-index, and
  // the elements that fall in [offset, offset + dst.size()) are copied.
  Status ReadFortran(uint64_t offset, std::span<uint8_t> dst) const {
    const size_t rank = shape_.size();
    std::vector<uint64_t> stride(rank, 1), index(rank, 0);  // C-order strides, in elements
    for (size_t k = rank - 1; k-- > 0;) stride[k] = stride[k + 1] * static_cast<uint64_t>(shape_[k + 1]);
    const uint64_t end = offset + dst.size();
    std::vector<uint8_t> buf(static_cast<size_t>(std::min(kChunkBytes / item_ * item_, total_)));
    uint64_t c = 0, copied = 0;  // the current element's C-order index
    for (uint64_t at = 0; at < total_ && copied < dst.size();) {
      const uint64_t n = std::min<uint64_t>(buf.size(), total_ - at);
      TFQ_RETURN_IF_ERROR(file_->ReadAt(data_offset_ + at, std::span<uint8_t>(buf.data(), n)));
      Swap(buf.data(), n);
      for (uint64_t i = 0; i < n; i += item_) {
        const uint64_t lo = std::max(c * item_, offset), hi = std::min(c * item_ + item_, end);
        if (lo < hi) {
          std::memcpy(dst.data() + (lo - offset), buf.data() + i + (lo - c * item_), hi - lo);
          copied += hi - lo;
        }
        for (size_t k = 0; k < rank; ++k) {
          c += stride[k];
          if (++index[k] < static_cast<uint64_t>(shape_[k])) break;
          c -= stride[k] * index[k];
          index[k] = 0;
        }
      }
      at += n;
    }
    return Status::Ok();
  }

  std::shared_ptr<const RandomAccessFile> file_;
  uint64_t data_offset_;
  unsigned item_;
  bool swap_, fortran_;
  std::vector<int64_t> shape_;
  uint64_t total_;
};

// One array from an npy file or member; `what` names it in messages.
Status ReadNpyFile(std::shared_ptr<const RandomAccessFile> file, const std::string& what, std::string name,
                   const Limits& limits, std::vector<SourceTensor>* out) {
  NpyHeader h;
  TFQ_RETURN_IF_ERROR(ParseHeader(*file, what, limits, &h));
  TFQ_ASSIGN_OR_RETURN(const uint64_t n, CheckSourceShape(h.shape, limits, what));
  const unsigned item = SourceDTypeBytes(h.dtype);
  const uint64_t expected = n * item, found = file->Size() - h.data_offset;
  if (expected != found) {
    return FormatError(what + ": shape " + ShapeText(h.shape) + " of " + std::string(SourceDTypeName(h.dtype)) +
                       ": expected " + Bytes(expected) + " of data, found " + Bytes(found));
  }
  // Orders differ only when two or more axes are longer than 1.
  const bool fortran =
      h.fortran && std::count_if(h.shape.begin(), h.shape.end(), [](int64_t d) { return d > 1; }) > 1;
  SourceTensor t;
  t.name = std::move(name);
  t.dtype = h.dtype;
  t.num_elements = n;
  t.origin = what;
  if (!h.swap && !fortran) {
    t.bytes = std::make_shared<RangeBytes>(std::move(file), h.data_offset);
  } else {
    t.bytes = std::make_shared<ConvertedBytes>(std::move(file), h.data_offset, item, h.swap, fortran, h.shape, expected);
  }
  t.shape = std::move(h.shape);
  out->push_back(std::move(t));
  return Status::Ok();
}

}  // namespace

Status ReadNpy(FileSource& source, std::string_view path, std::string_view name, const Limits& limits,
               std::vector<SourceTensor>* out) {
  TFQ_ASSIGN_OR_RETURN(auto file, OpenShared(source, path));
  return ReadNpyFile(std::move(file), source.Describe(path), std::string(name), limits, out);
}

Status ReadNpz(FileSource& source, std::string_view path, const Limits& limits, std::vector<SourceTensor>* out) {
  TFQ_ASSIGN_OR_RETURN(auto file, OpenShared(source, path));
  TFQ_ASSIGN_OR_RETURN(ZipArchive zip, ZipArchive::Open(std::move(file), source.Describe(path), limits));
  if (zip.members().size() > limits.weights) {
    return LimitExceeded(zip.describe() + ": " + std::to_string(zip.members().size()) + " arrays exceed " +
                         LimitText("weights", limits.weights), "weights");
  }
  const uint64_t max_bytes = limits.tensor_elements * 8 + kMemberHeaderRoom;
  for (const ZipArchive::Member& m : zip.members()) {
    const std::string what = zip.describe() + ": " + Quoted(m.name);
    constexpr std::string_view kSuffix = ".npy";
    if (m.name.size() < kSuffix.size() || m.name.compare(m.name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
      return FormatError(what + ": not an array: an npz may hold only .npy members");
    }
    TFQ_ASSIGN_OR_RETURN(auto member, zip.OpenMember(m, max_bytes));
    TFQ_RETURN_IF_ERROR(
        ReadNpyFile(std::move(member), what, m.name.substr(0, m.name.size() - kSuffix.size()), limits, out));
  }
  return Status::Ok();
}

}  // namespace tfq
