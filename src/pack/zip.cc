// SPDX-License-Identifier: Apache-2.0
// Zip archives as numpy, torch.save and Keras write them: the central
// directory is the truth (local headers are read only to find where a
// member's data starts, since their sizes may be zero when a data
// descriptor follows), every offset and size is checked against the file
// before it is used, and a deflated member is inflated only up to the size
// the central directory gives, which the caller bounds first.
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <new>
#include <optional>
#include <string_view>
#include <unordered_set>

#include "pack/zip.h"
#include "tfjs_quant/text.h"
#include "util/bits.h"

namespace tfq {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr uint64_t kEndSize = 22, kZip64LocatorSize = 20, kZip64EndSize = 56, kCentralSize = 46, kLocalSize = 30;
// The end record and the longest comment it may carry.
constexpr uint64_t kMaxTail = kEndSize + 0xFFFF;
// Members beyond one per tensor: numpy, torch and Keras add a handful of
// bookkeeping files (data.pkl, version, byteorder, config.json, ...).
constexpr uint64_t kExtraMembers = 16;

std::string Hex(uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// A stored member: reads go to the archive at the member's data, bounded
// by the member's size.
class WindowFile : public RandomAccessFile {
 public:
  WindowFile(std::shared_ptr<const RandomAccessFile> file, uint64_t offset, uint64_t size, std::string what)
      : file_(std::move(file)), offset_(offset), size_(size), what_(std::move(what)) {}
  uint64_t Size() const override { return size_; }
  Status ReadAt(uint64_t offset, std::span<uint8_t> dst) const override {
    if (!Within(offset, dst.size(), size_)) {
      return IOError(what_ + ": read of " + Bytes(dst.size()) + " at offset " + std::to_string(offset) +
                     " past the member's end (" + Bytes(size_) + ")");
    }
    return file_->ReadAt(offset_ + offset, dst);
  }
  std::span<const uint8_t> InMemory() const override {
    std::span<const uint8_t> all = file_->InMemory();
    if (all.empty()) return {};
    return all.subspan(static_cast<size_t>(offset_), static_cast<size_t>(size_));
  }

 private:
  std::shared_ptr<const RandomAccessFile> file_;
  uint64_t offset_, size_;
  std::string what_;
};

// A deflated member, inflated.
class InflatedFile : public RandomAccessFile {
 public:
  InflatedFile(std::unique_ptr<uint8_t[]> data, uint64_t size, std::string what)
      : data_(std::move(data)), size_(size), what_(std::move(what)) {}
  uint64_t Size() const override { return size_; }
  Status ReadAt(uint64_t offset, std::span<uint8_t> dst) const override {
    if (!Within(offset, dst.size(), size_)) {
      return IOError(what_ + ": read of " + Bytes(dst.size()) + " at offset " + std::to_string(offset) +
                     " past the member's end (" + Bytes(size_) + ")");
    }
    if (!dst.empty()) std::memcpy(dst.data(), data_.get() + offset, dst.size());
    return Status::Ok();
  }
  std::span<const uint8_t> InMemory() const override { return {data_.get(), static_cast<size_t>(size_)}; }

 private:
  std::unique_ptr<uint8_t[]> data_;
  uint64_t size_;
  std::string what_;
};

// The end of central directory, ZIP64's if there is one.
struct Directory {
  uint64_t entries = 0, offset = 0, size = 0;
  uint64_t end = 0;  // where the directory must end: the first end record
};

Status FindDirectory(const RandomAccessFile& file, const std::string& describe, Directory* dir) {
  const uint64_t file_size = file.Size();
  auto err = [&](const std::string& what) { return FormatError(describe + ": not a readable zip archive: " + what); };
  if (file_size < kEndSize) return err("only " + Bytes(file_size) + ", shorter than an end of central directory record");
  const uint64_t tail_size = std::min(file_size, kMaxTail);
  const uint64_t tail_at = file_size - tail_size;
  std::vector<uint8_t> tail(static_cast<size_t>(tail_size));
  TFQ_RETURN_IF_ERROR(file.ReadAt(tail_at, tail));
  // The last signature whose comment ends exactly at the end of the file:
  // a comment may itself hold the signature bytes.
  std::optional<uint64_t> found;
  for (uint64_t i = tail_size - kEndSize + 1; i-- > 0;) {
    const uint8_t* p = tail.data() + i;
    if (LoadLE<uint32_t>(p) == kEndSig && i + kEndSize + LoadLE<uint16_t>(p + 20) == tail_size) {
      found = i;
      break;
    }
  }
  if (!found) return err("no end of central directory record in its last " + Bytes(tail_size));
  const uint8_t* e = tail.data() + *found;
  const uint64_t end_at = tail_at + *found;
  const uint16_t disk = LoadLE<uint16_t>(e + 4), cd_disk = LoadLE<uint16_t>(e + 6);
  const uint16_t disk_entries = LoadLE<uint16_t>(e + 8), entries = LoadLE<uint16_t>(e + 10);
  const uint32_t cd_size = LoadLE<uint32_t>(e + 12), cd_offset = LoadLE<uint32_t>(e + 16);
  dir->entries = entries;
  dir->size = cd_size;
  dir->offset = cd_offset;
  dir->end = end_at;

  // The ZIP64 locator sits just before the end record; writers use it when
  // a count or an offset overflows (Python's zipfile then leaves the
  // classic fields at 0xFFFF / 0xFFFFFFFF).
  bool zip64 = false;
  if (end_at >= kZip64LocatorSize) {
    std::array<uint8_t, kZip64LocatorSize> loc;
    TFQ_RETURN_IF_ERROR(file.ReadAt(end_at - kZip64LocatorSize, loc));
    if (LoadLE<uint32_t>(loc.data()) == kZip64LocatorSig) {
      zip64 = true;
      const uint32_t z_disk = LoadLE<uint32_t>(loc.data() + 4), disks = LoadLE<uint32_t>(loc.data() + 16);
      const uint64_t z_at = LoadLE<uint64_t>(loc.data() + 8);
      if (z_disk != 0 || disks > 1) return Unsupported(describe + ": a zip archive split over several disks");
      const uint64_t z_end = end_at - kZip64LocatorSize;
      if (z_at > z_end || z_end - z_at < kZip64EndSize) {
        return err("the ZIP64 end record offset " + std::to_string(z_at) + " is not before its locator at " +
                   std::to_string(z_end));
      }
      std::array<uint8_t, kZip64EndSize> z;
      TFQ_RETURN_IF_ERROR(file.ReadAt(z_at, z));
      if (LoadLE<uint32_t>(z.data()) != kZip64EndSig) {
        return err("no ZIP64 end of central directory record at offset " + std::to_string(z_at));
      }
      if (LoadLE<uint32_t>(z.data() + 16) != 0 || LoadLE<uint32_t>(z.data() + 20) != 0 ||
          LoadLE<uint64_t>(z.data() + 24) != LoadLE<uint64_t>(z.data() + 32)) {
        return Unsupported(describe + ": a zip archive split over several disks");
      }
      dir->entries = LoadLE<uint64_t>(z.data() + 32);
      dir->size = LoadLE<uint64_t>(z.data() + 40);
      dir->offset = LoadLE<uint64_t>(z.data() + 48);
      dir->end = z_at;
    }
  }
  if (!zip64) {
    if (disk != 0 || cd_disk != 0 || disk_entries != entries) {
      return Unsupported(describe + ": a zip archive split over several disks");
    }
    if (entries == 0xFFFF || cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF) {
      return err("the end record marks ZIP64 values but there is no ZIP64 locator before it");
    }
  }
  if (!Within(dir->offset, dir->size, dir->end)) {
    return err("the central directory (" + Bytes(dir->size) + " at offset " + std::to_string(dir->offset) +
               ") does not end before its end record at offset " + std::to_string(dir->end));
  }
  return Status::Ok();
}

// Applies the ZIP64 extended information field (id 0x0001) of a central
// header: 64-bit values, present only for the fields that hold 0xFFFFFFFF,
// in this order.
Status ApplyZip64Extra(std::span<const uint8_t> extra, bool need_size, bool need_csize, bool need_offset,
                       ZipArchive::Member* m, const std::string& where) {
  size_t i = 0;
  while (i + 4 <= extra.size()) {
    const uint16_t id = LoadLE<uint16_t>(extra.data() + i), len = LoadLE<uint16_t>(extra.data() + i + 2);
    if (len > extra.size() - i - 4) {
      return FormatError(where + ": extra field " + Hex(id) + " of " + Bytes(len) + " runs past the header's " +
                         Bytes(extra.size()) + " of extra fields");
    }
    if (id == 0x0001) {
      const uint8_t* p = extra.data() + i + 4;
      size_t left = len;
      for (auto [need, field] : {std::pair{need_size, &m->size}, std::pair{need_csize, &m->compressed_size},
                                 std::pair{need_offset, &m->local_header_offset}}) {
        if (!need) continue;
        if (left < 8) return FormatError(where + ": the ZIP64 extra field is too short (" + Bytes(len) + ")");
        *field = LoadLE<uint64_t>(p);
        p += 8;
        left -= 8;
      }
      return Status::Ok();
    }
    i += 4 + size_t{len};
  }
  return FormatError(where + ": a size or offset is 0xFFFFFFFF but there is no ZIP64 extra field");
}

}  // namespace

Result<ZipArchive> ZipArchive::Open(std::shared_ptr<const RandomAccessFile> file, std::string describe,
                                    const Limits& limits) {
  Directory dir;
  TFQ_RETURN_IF_ERROR(FindDirectory(*file, describe, &dir));
  const uint64_t max_members = limits.weights + kExtraMembers;
  if (dir.entries > max_members) {
    return LimitExceeded(describe + ": " + std::to_string(dir.entries) + " zip members; more than " +
                         std::to_string(kExtraMembers) + " beyond " + LimitText("weights", limits.weights), "weights");
  }
  if (dir.entries > dir.size / kCentralSize) {
    return FormatError(describe + ": " + std::to_string(dir.entries) + " zip members cannot fit in a central directory of " +
                       Bytes(dir.size));
  }
  ZipArchive zip;
  zip.file_ = file;
  zip.describe_ = std::move(describe);
  const std::string& d = zip.describe_;
  zip.members_.reserve(static_cast<size_t>(dir.entries));
  std::unordered_set<std::string_view> names;
  const uint64_t dir_end = dir.offset + dir.size;
  uint64_t at = dir.offset;
  std::vector<uint8_t> var;  // name, extra field
  for (uint64_t k = 0; k < dir.entries; ++k) {
    const std::string where = d + ": central directory entry " + std::to_string(k) + " at offset " + std::to_string(at);
    std::array<uint8_t, kCentralSize> h;
    if (!Within(at, kCentralSize, dir_end)) return FormatError(where + ": runs past the central directory's end");
    TFQ_RETURN_IF_ERROR(file->ReadAt(at, h));
    if (LoadLE<uint32_t>(h.data()) != kCentralSig) {
      return FormatError(where + ": expected the signature PK\\1\\2, found " + Hex(LoadLE<uint32_t>(h.data())));
    }
    const uint64_t name_len = LoadLE<uint16_t>(h.data() + 28), extra_len = LoadLE<uint16_t>(h.data() + 30);
    const uint64_t comment_len = LoadLE<uint16_t>(h.data() + 32);
    const uint64_t entry_size = kCentralSize + name_len + extra_len + comment_len;
    if (!Within(at, entry_size, dir_end)) return FormatError(where + ": runs past the central directory's end");
    var.resize(static_cast<size_t>(name_len + extra_len));
    TFQ_RETURN_IF_ERROR(file->ReadAt(at + kCentralSize, var));
    Member m;
    m.name.assign(reinterpret_cast<const char*>(var.data()), static_cast<size_t>(name_len));
    m.method = LoadLE<uint16_t>(h.data() + 10);
    m.crc32 = LoadLE<uint32_t>(h.data() + 16);
    m.compressed_size = LoadLE<uint32_t>(h.data() + 20);
    m.size = LoadLE<uint32_t>(h.data() + 24);
    m.local_header_offset = LoadLE<uint32_t>(h.data() + 42);
    const bool need_size = m.size == 0xFFFFFFFF, need_csize = m.compressed_size == 0xFFFFFFFF;
    const bool need_offset = m.local_header_offset == 0xFFFFFFFF;
    const std::string member = d + ": member " + Quoted(m.name);
    if (need_size || need_csize || need_offset) {
      TFQ_RETURN_IF_ERROR(ApplyZip64Extra(std::span<const uint8_t>(var).subspan(static_cast<size_t>(name_len)),
                                          need_size, need_csize, need_offset, &m, member));
    }
    // The data must lie before the central directory; checked here so a
    // member's sizes can be trusted as bounds from now on.
    if (!Within(m.local_header_offset, kLocalSize, dir.offset) ||
        !Within(m.local_header_offset + kLocalSize, m.compressed_size, dir.offset)) {
      return FormatError(member + ": its " + Bytes(m.compressed_size) + " at offset " +
                         std::to_string(m.local_header_offset) + " do not fit before the central directory at offset " +
                         std::to_string(dir.offset));
    }
    zip.members_.push_back(std::move(m));
    at += entry_size;
  }
  // Names checked once all are in place (string_views into members_ stay
  // valid only once it no longer grows).
  for (const Member& m : zip.members_) {
    if (!names.insert(m.name).second) {
      return FormatError(d + ": member " + Quoted(m.name) + " appears twice in the zip archive");
    }
  }
  return zip;
}

const ZipArchive::Member* ZipArchive::Find(std::string_view name) const {
  for (const Member& m : members_) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

Result<std::shared_ptr<const RandomAccessFile>> ZipArchive::OpenMember(const Member& m, uint64_t max_bytes) const {
  const std::string what = describe_ + ": member " + Quoted(m.name);
  std::array<uint8_t, kLocalSize> h;
  const uint64_t file_size = file_->Size();
  if (!Within(m.local_header_offset, kLocalSize, file_size)) {
    return FormatError(what + ": its local header at offset " + std::to_string(m.local_header_offset) +
                       " lies past the end of the file");
  }
  TFQ_RETURN_IF_ERROR(file_->ReadAt(m.local_header_offset, h));
  if (LoadLE<uint32_t>(h.data()) != kLocalSig) {
    return FormatError(what + ": expected a local header (PK\\3\\4) at offset " + std::to_string(m.local_header_offset) +
                       ", found " + Hex(LoadLE<uint32_t>(h.data())));
  }
  const uint16_t flags = LoadLE<uint16_t>(h.data() + 6);
  if (flags & 0x41) return Unsupported(what + " is encrypted");
  // The local name and extra field may differ in length from the central
  // ones (torch.save pads the local extra field to align the data).
  const uint64_t data_at =
      m.local_header_offset + kLocalSize + LoadLE<uint16_t>(h.data() + 26) + LoadLE<uint16_t>(h.data() + 28);
  if (!Within(data_at, m.compressed_size, file_size)) {
    return FormatError(what + ": its " + Bytes(m.compressed_size) + " of data at offset " + std::to_string(data_at) +
                       " run past the end of the file (" + Bytes(file_size) + ")");
  }
  if (m.method == 0) {
    if (m.compressed_size != m.size) {
      return FormatError(what + ": stored, yet its size (" + Bytes(m.size) + ") differs from its stored size (" +
                         Bytes(m.compressed_size) + ")");
    }
    return std::shared_ptr<const RandomAccessFile>(std::make_shared<WindowFile>(file_, data_at, m.size, what));
  }
  if (m.method != 8) {
    return Unsupported(what + " is compressed with method " + std::to_string(m.method) +
                       "; only stored (0) and deflated (8) members can be read");
  }
  if (m.size > max_bytes) {
    return LimitExceeded(what + ": inflates to " + Bytes(m.size) + ", more than the " + Bytes(max_bytes) +
                         " allowed for it");
  }
  if (m.size > SIZE_MAX) return LimitExceeded(what + ": too large to inflate here");
  std::unique_ptr<uint8_t[]> out(new (std::nothrow) uint8_t[m.size ? static_cast<size_t>(m.size) : 1]);
  if (!out) return OutOfMemory("cannot allocate " + Bytes(m.size) + " to inflate " + what);

  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return OutOfMemory("cannot start zlib to inflate " + what);
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&z};
  std::vector<uint8_t> in(static_cast<size_t>(std::min<uint64_t>(m.compressed_size, 1 << 16)));
  uint64_t read = 0, written = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (z.avail_in == 0) {
      if (read == m.compressed_size) break;
      const size_t n = static_cast<size_t>(std::min<uint64_t>(in.size(), m.compressed_size - read));
      TFQ_RETURN_IF_ERROR(file_->ReadAt(data_at + read, std::span<uint8_t>(in.data(), n)));
      read += n;
      z.next_in = in.data();
      z.avail_in = static_cast<uInt>(n);
    }
    // One byte of room past the expected size, so that a member inflating
    // to more than its directory entry says is noticed rather than cut.
    uint8_t spare;
    if (written < m.size) {
      z.next_out = out.get() + written;
      z.avail_out = static_cast<uInt>(std::min<uint64_t>(m.size - written, 1u << 30));
    } else {
      z.next_out = &spare;
      z.avail_out = 1;
    }
    const uInt before = z.avail_out;
    rc = inflate(&z, Z_NO_FLUSH);
    const uint64_t produced = before - z.avail_out;
    if (written >= m.size && produced > 0) {
      return FormatError(what + ": inflates to more than the " + Bytes(m.size) + " its directory entry gives");
    }
    written += produced;
    if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_MEM_ERROR) {
      return FormatError(what + ": invalid deflate data" + (z.msg ? std::string(" (") + z.msg + ")" : std::string()));
    }
    if (rc == Z_BUF_ERROR && z.avail_in > 0) {
      return Internal(what + ": zlib made no progress");
    }
  }
  if (rc != Z_STREAM_END) {
    return FormatError(what + ": the deflate data ends early, after " + Bytes(written) + " of " + Bytes(m.size));
  }
  if (written != m.size) {
    return FormatError(what + ": inflates to " + Bytes(written) + ", not the " + Bytes(m.size) +
                       " its directory entry gives");
  }
  uLong crc = crc32(0, nullptr, 0);
  for (uint64_t done = 0; done < m.size;) {
    const uInt n = static_cast<uInt>(std::min<uint64_t>(m.size - done, 1u << 30));
    crc = crc32(crc, out.get() + done, n);
    done += n;
  }
  if (static_cast<uint32_t>(crc) != m.crc32) {
    return FormatError(what + ": CRC-32 " + Hex(static_cast<uint32_t>(crc)) + " of the inflated data, expected " +
                       Hex(m.crc32));
  }
  return std::shared_ptr<const RandomAccessFile>(std::make_shared<InflatedFile>(std::move(out), m.size, what));
}

}  // namespace tfq
