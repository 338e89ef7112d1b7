// SPDX-License-Identifier: Apache-2.0
// Bytes on the wire: how large a byte stream is after gzip and after brotli,
// as a CDN would serve it. Streams, so a model is never held whole.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

namespace tfq {

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

}  // namespace tfq
