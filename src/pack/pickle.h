// SPDX-License-Identifier: Apache-2.0
// A restricted pickle reader for the data.pkl of torch.save. A pickle is a
// program for a stack machine that may call any Python callable it names;
// this one runs only the opcodes that build plain containers, and names
// only the callables that rebuild tensors (an allowlist). Calling one
// builds a record in the object model below: nothing is ever executed.
// Any other opcode or global is refused the moment it is read.
//
// Objects live in one arena and refer to each other by index, so a
// pickle nested 100,000 deep is neither parsed nor freed recursively.
// Internal to the pack readers.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tfjs_quant/limits.h"
#include "tfjs_quant/pack.h"
#include "tfjs_quant/status.h"

namespace tfq {

enum class PickleKind : uint8_t {
  kNone,
  kBool,     // integer: 0 or 1
  kInt,      // integer
  kFloat,    // real
  kString,   // index into Pickle::strings (UTF-8, unchecked)
  kBytes,    // index into Pickle::strings
  kTuple,    // index into Pickle::items
  kList,     // index into Pickle::items
  kDict,     // index into Pickle::items: key, value, key, value...
  kGlobal,   // an allowlisted callable or type: integer is a PickleGlobal
  kStorage,  // index into Pickle::storages
  kTensor,   // index into Pickle::tensors
};

enum class PickleGlobal : uint8_t {
  kOrderedDict,
  kRebuildTensorV2,
  kRebuildParameter,
  kRebuildParameterWithState,
  kStorageType,  // torch.FloatStorage...: index is its SourceDType
  kDType,        // torch.float32...: inert, index is its SourceDType
};

struct PickleObject {
  PickleKind kind = PickleKind::kNone;
  uint32_t index = 0;
  int64_t integer = 0;
  double real = 0;
};

// A persistent id ('storage', torch.FloatStorage, key, location, numel):
// the member data/KEY of the archive, `numel` elements of `dtype`.
struct PickleStorage {
  SourceDType dtype = SourceDType::kFloat32;
  std::string_view key;
  int64_t numel = 0;
};

// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...), in
// elements; the values are as the pickle gave them (checked by the caller).
struct PickleTensor {
  uint32_t storage = 0;
  int64_t offset = 0;
  std::vector<int64_t> shape, strides;
};

struct Pickle {
  std::vector<PickleObject> objects;
  std::vector<std::string_view> strings;  // views into the parsed bytes
  std::vector<std::vector<uint32_t>> items;
  std::vector<PickleStorage> storages;
  std::vector<PickleTensor> tensors;
  uint32_t root = 0;  // what STOP returned

  const PickleObject& at(uint32_t i) const { return objects[i]; }
  // The items of a tuple, list or dict object.
  const std::vector<uint32_t>& items_of(uint32_t i) const { return items[objects[i].index]; }
  std::string_view string_of(uint32_t i) const { return strings[objects[i].index]; }
};

// Most objects a pickle may build per weight allowed by limits.weights,
// and at most kMaxPickleObjects in all: a state_dict needs about 25 per
// tensor (key, storage id, shape and stride tuples and their integers).
inline constexpr uint64_t kPickleObjectsPerWeight = 64;
inline constexpr uint64_t kMaxPickleObjects = uint64_t{1} << 24;
// That bound for `limits` (with a floor of 1024, so that a tiny
// state_dict gets through a tiny weights limit); it bounds the stack, the
// marks, the memo and the container items as well, and the walk over
// what the pickle built.
inline uint64_t PickleBudget(const Limits& limits) {
  const uint64_t weights = limits.weights < kMaxPickleObjects ? limits.weights : kMaxPickleObjects;
  const uint64_t n = weights * kPickleObjectsPerWeight + 1024;
  return n < kMaxPickleObjects ? n : kMaxPickleObjects;
}
// The limit an error against that bound names: "weights" while raising it
// raises the bound, nothing once the bound is kMaxPickleObjects.
inline std::string_view PickleBudgetLimit(const Limits& limits) {
  return PickleBudget(limits) < kMaxPickleObjects ? "weights" : "";
}

// Runs `bytes` (protocol 2 to 5). `what` names the pickle in messages
// (printable). The result's strings point into `bytes`, which must outlive
// it. kUnsupported for an opcode or global outside the allowlist,
// kFormatError for malformed bytes or a call with the wrong arguments,
// kLimitExceeded when the objects, stack or memo outgrow the bound above.
Result<Pickle> ParsePickle(std::span<const uint8_t> bytes, const std::string& what, const Limits& limits);

// "list", "OrderedDict or dict", "int"...: for messages.
std::string_view PickleKindName(PickleKind kind);

}  // namespace tfq
