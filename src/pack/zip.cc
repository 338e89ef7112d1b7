// SPDX-License-Identifier: Apache-2.0
// STUB: to be written.
#include "pack/zip.h"

namespace tfq {

Result<ZipArchive> ZipArchive::Open(std::shared_ptr<const RandomAccessFile>, std::string, const Limits&) {
  return Unsupported("zip: not written yet");
}
const ZipArchive::Member* ZipArchive::Find(std::string_view) const { return nullptr; }
Result<std::shared_ptr<const RandomAccessFile>> ZipArchive::OpenMember(const Member&, uint64_t) const {
  return Unsupported("zip: not written yet");
}

}  // namespace tfq
