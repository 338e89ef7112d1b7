// SPDX-License-Identifier: Apache-2.0
// A minimal protobuf wire-format reader over a RandomAccessFile, for the
// ONNX reader: varint, 64-bit, length-delimited and 32-bit fields (groups,
// unused since proto3 and by ONNX, are refused). It streams: a message is
// walked field by field through a window on the file, and a field's payload
// is known by its offset and length, so a 2 GB model is never read whole.
// No schema: the caller says which fields it descends into, so nesting
// follows the caller's code, never the input.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>

#include "tfjs_quant/io.h"
#include "tfjs_quant/status.h"
#include "util/bits.h"

namespace tfq::pb {

enum class Wire : uint8_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

inline const char* WireName(Wire w) {
  switch (w) {
    case Wire::kVarint: return "varint";
    case Wire::kFixed64: return "64-bit";
    case Wire::kLen: return "length-delimited";
    case Wire::kFixed32: return "32-bit";
  }
  return "?";
}

struct Field {
  uint32_t number = 0;
  Wire wire = Wire::kVarint;
  uint64_t value = 0;  // the varint or the fixed bits; kLen: the payload's length
  uint64_t tag = 0;    // offset of the field's tag in the file
  uint64_t data = 0;   // offset of the value (kLen: of the payload) in the file
};

// A file read front to back through a window, so that walking a message
// costs a few large reads rather than one per byte. Files already in memory
// are read in place.
class WireFile {
 public:
  static constexpr size_t kWindow = 64 * 1024;

  // `describe` names the file in messages (printable).
  WireFile(const RandomAccessFile& file, std::string describe)
      : file_(file), size_(file.Size()), memory_(file.InMemory()), describe_(std::move(describe)) {}

  uint64_t size() const { return size_; }
  const std::string& describe() const { return describe_; }

  Status Error(uint64_t offset, const std::string& what) const {
    return FormatError(describe_ + ": at byte " + std::to_string(offset) + ": " + what);
  }

  // The byte at `pos` (< size()).
  Status Byte(uint64_t pos, uint8_t* b) {
    if (!memory_.empty()) {
      *b = memory_[pos];
      return Status::Ok();
    }
    if (pos < window_start_ || pos - window_start_ >= window_size_) {
      if (!buffer_) {
        buffer_.reset(new (std::nothrow) uint8_t[kWindow]);
        if (!buffer_) return OutOfMemory("cannot allocate a read buffer for " + describe_);
      }
      window_start_ = pos;
      window_size_ = static_cast<size_t>(std::min<uint64_t>(kWindow, size_ - pos));
      Status s = file_.ReadAt(pos, std::span<uint8_t>(buffer_.get(), window_size_));
      if (!s.ok()) {
        window_size_ = 0;
        return s;
      }
    }
    *b = buffer_[pos - window_start_];
    return Status::Ok();
  }

  // A varint at *pos, which must end before `end`; *pos moves past it.
  Status Varint(uint64_t* pos, uint64_t end, uint64_t* v) {
    const uint64_t start = *pos;
    uint64_t result = 0;
    for (unsigned i = 0; i < 10; ++i) {
      if (*pos >= end) return Error(start, "a varint runs past the end of its message");
      uint8_t b = 0;
      TFQ_RETURN_IF_ERROR(Byte(*pos, &b));
      ++*pos;
      if (i == 9 && b > 1) return Error(start, "a varint longer than 64 bits");
      result |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) break;
    }
    *v = result;
    return Status::Ok();
  }

  // `n` (1 to 8) little-endian bytes at `pos`.
  Status Fixed(uint64_t pos, unsigned n, uint64_t* v) {
    uint8_t bytes[8] = {};
    for (unsigned i = 0; i < n && i < sizeof bytes; ++i) TFQ_RETURN_IF_ERROR(Byte(pos + i, &bytes[i]));
    *v = LoadLE(bytes, n);
    return Status::Ok();
  }

  // Bytes [pos, pos + n) into *out; the caller bounds `n` (and checked that
  // the range lies inside the message it walks).
  Status ReadBytes(uint64_t pos, uint64_t n, std::string* out) {
    out->resize(static_cast<size_t>(n));
    if (n == 0) return Status::Ok();
    if (!memory_.empty()) {
      std::memcpy(out->data(), memory_.data() + pos, static_cast<size_t>(n));
      return Status::Ok();
    }
    return file_.ReadAt(pos, std::span<uint8_t>(reinterpret_cast<uint8_t*>(out->data()), out->size()));
  }

 private:
  const RandomAccessFile& file_;
  uint64_t size_;
  std::span<const uint8_t> memory_;
  std::string describe_;
  std::unique_ptr<uint8_t[]> buffer_;
  uint64_t window_start_ = 0;
  size_t window_size_ = 0;
};

// The fields of one message, bytes [begin, end) of the file, in order.
class Message {
 public:
  // `end` must not exceed the file's size.
  Message(WireFile& file, uint64_t begin, uint64_t end) : file_(file), pos_(begin), end_(end) {}

  // The next field into *f, its payload skipped (kLen: its bounds checked);
  // false at the end of the message.
  Result<bool> Next(Field* f) {
    if (pos_ >= end_) return false;
    f->tag = pos_;
    uint64_t tag = 0;
    TFQ_RETURN_IF_ERROR(file_.Varint(&pos_, end_, &tag));
    const uint64_t number = tag >> 3;
    if (number == 0 || number > (uint64_t{1} << 29) - 1) {
      return file_.Error(f->tag, "field number " + std::to_string(number) + " is not a valid protobuf field number");
    }
    f->number = static_cast<uint32_t>(number);
    f->data = pos_;
    switch (tag & 7) {
      case 0:
        f->wire = Wire::kVarint;
        TFQ_RETURN_IF_ERROR(file_.Varint(&pos_, end_, &f->value));
        return true;
      case 1:
      case 5: {
        const unsigned n = (tag & 7) == 1 ? 8 : 4;
        f->wire = n == 8 ? Wire::kFixed64 : Wire::kFixed32;
        if (end_ - pos_ < n) return file_.Error(f->tag, "field " + std::to_string(number) + " runs past the end of its message");
        TFQ_RETURN_IF_ERROR(file_.Fixed(pos_, n, &f->value));
        pos_ += n;
        return true;
      }
      case 2:
        f->wire = Wire::kLen;
        TFQ_RETURN_IF_ERROR(file_.Varint(&pos_, end_, &f->value));
        if (f->value > end_ - pos_) {
          return file_.Error(f->tag, "field " + std::to_string(number) + " claims " + std::to_string(f->value) +
                                         " bytes, but only " + std::to_string(end_ - pos_) +
                                         " remain in its message (a truncated or damaged file?)");
        }
        f->data = pos_;
        pos_ += f->value;
        return true;
      case 3:
      case 4:
        return file_.Error(f->tag, "field " + std::to_string(number) + " is a protobuf group, which this format never uses");
      default:
        return file_.Error(f->tag, "field " + std::to_string(number) + " has the invalid wire type " +
                                       std::to_string(tag & 7));
    }
  }

 private:
  WireFile& file_;
  uint64_t pos_, end_;
};

}  // namespace tfq::pb
