// SPDX-License-Identifier: Apache-2.0
// What the two files of the Keras/HDF5 reader share: libhdf5 under its
// process-wide lock, identifiers released when they go, libhdf5's error
// text and property lists that keep every path inside the file (hdf5.cc,
// which lists the weights), and a dataset's checked description and bytes
// (hdf5_dataset.cc). Internal to tfjs_quant_hdf5.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "tfjs_quant/limits.h"
#include "tfjs_quant/pack.h"
#include "tfjs_quant/status.h"

namespace tfq::h5 {

// Debian's libhdf5 is not thread-safe: every call into it holds this lock.
std::recursive_mutex& Hdf5Mutex();
using Lock = std::lock_guard<std::recursive_mutex>;

// " (libhdf5: ...)": the most specific message of the failure just seen.
std::string LibError();

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

// Property lists under which no path leads into another file.
struct Access {
  Id lapl, gapl, dapl;
};
Result<Access> MakeAccess();

// Why opening `what` failed: an external link refused under Access, else
// `otherwise` and libhdf5's message.
Status OpenFailure(const std::string& what, const std::string& otherwise);

// What a dataset holds, checked: a numeric type, a shape within limits,
// data in this file.
struct DatasetInfo {
  SourceDType dtype;
  std::vector<int64_t> shape;
  uint64_t elements = 0;
};
Result<DatasetInfo> Inspect(hid_t ds, const std::string& what, const Limits& limits);

// The elements of dataset `name` of group `group` of `file`, as Inspect
// described them, read through libhdf5 when asked. The file stays open
// while they live; the dataset is found again by path. `what` names it in
// messages.
std::shared_ptr<const SourceBytes> DatasetBytes(std::shared_ptr<const OpenFile> file, std::string group,
                                                std::string name, SourceDType dtype, uint64_t elements,
                                                std::string what);

}  // namespace tfq::h5
