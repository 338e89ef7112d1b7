// SPDX-License-Identifier: Apache-2.0
// Bytes on the wire: how large a byte stream is after gzip and after brotli,
// as a CDN would serve it. Streams, so a model is never held whole.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

namespace tfq::cli {

class WireSize {
 public:
  WireSize();
  ~WireSize();
  // False if zlib or brotli could not start (out of memory): the sizes are
  // then meaningless and the caller must say so.
  bool ok() const { return ok_; }
  void Add(std::span<const uint8_t> bytes);
  // Flushes both compressors; call once.
  void Finish();
  uint64_t gzip_bytes() const { return gzip_; }
  uint64_t brotli_bytes() const { return brotli_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool ok_ = false;
  uint64_t gzip_ = 0, brotli_ = 0;
};

// The levels used, for reports and docs.
inline constexpr int kGzipLevel = 6;     // gzip's and nginx-style default
inline constexpr int kBrotliQuality = 5;     // a typical on-the-fly CDN setting
inline constexpr int kBrotliWindowBits = 20;

}  // namespace tfq::cli
