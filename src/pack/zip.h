// SPDX-License-Identifier: Apache-2.0
// A read-only zip archive (PKWARE APPNOTE 6.3): the central directory,
// ZIP64 included, and members stored or deflated. What numpy's .npz,
// torch.save and Keras's .keras files are. Internal to the pack readers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tfjs_quant/io.h"
#include "tfjs_quant/limits.h"
#include "tfjs_quant/status.h"

namespace tfq {

class ZipArchive {
 public:
  struct Member {
    std::string name;             // as stored (UTF-8 or CP437 bytes, unchecked)
    uint16_t method = 0;          // 0 stored, 8 deflated; others refused on open
    uint64_t compressed_size = 0;
    uint64_t size = 0;            // uncompressed
    uint32_t crc32 = 0;
    uint64_t local_header_offset = 0;
  };

  // Reads the central directory of `file`. `describe` names the archive in
  // messages (printable). The member count is bounded by limits.weights
  // (a member per tensor at most, plus a few), every offset and size by
  // the file's size.
  static Result<ZipArchive> Open(std::shared_ptr<const RandomAccessFile> file, std::string describe,
                                 const Limits& limits);

  const std::vector<Member>& members() const { return members_; }
  const Member* Find(std::string_view name) const;

  // A member's uncompressed bytes as a file: a window on the archive for a
  // stored member (no copy), the inflated bytes in memory for a deflated
  // one (at most `max_bytes`, else kLimitExceeded; CRC-32 checked).
  Result<std::shared_ptr<const RandomAccessFile>> OpenMember(const Member& m, uint64_t max_bytes) const;

  const std::string& describe() const { return describe_; }

 private:
  std::shared_ptr<const RandomAccessFile> file_;
  std::string describe_;
  std::vector<Member> members_;
};

// Opens `path` of `source` as a shared file (what RangeBytes and ZipArchive
// keep).
Result<std::shared_ptr<const RandomAccessFile>> OpenShared(FileSource& source, std::string_view path);

}  // namespace tfq
