// SPDX-License-Identifier: Apache-2.0
// torch.save's zip format (torch >= 1.6): ARCHIVE/data.pkl, a pickle of
// the saved object whose tensors name their storages by persistent id, and
// ARCHIVE/data/KEY, each storage's raw little-endian elements, stored. The
// pickle runs on the restricted machine of pickle.h; the object it builds
// is then walked with an explicit stack to name the tensors.
#include <algorithm>
#include <cstring>
#include <map>
#include <new>
#include <unordered_map>
#include <unordered_set>

#include "pack/pickle.h"
#include "pack/zip.h"
#include "tfjs_quant/manifest.h"
#include "tfjs_quant/pack.h"
#include "tfjs_quant/packed.h"
#include "tfjs_quant/text.h"

namespace tfq {
namespace {

// data.pkl is read whole; a state_dict's pickle takes a few hundred bytes
// per tensor, so this is far above any real one.
constexpr uint64_t kMaxPickleBytes = uint64_t{256} << 20;
// A strided tensor reads the storage it spans in pieces of at most this
// (or twice the bytes asked for, if more), then gathers from memory.
constexpr uint64_t kGatherWindow = uint64_t{16} << 20;

// A non-contiguous view (a transpose, a slice with a step, an expand)
// saved as is: its elements gathered in C order from its storage. The
// caller checked that every element it reaches lies within the storage.
class StridedBytes : public SourceBytes {
 public:
  StridedBytes(std::shared_ptr<const RandomAccessFile> file, unsigned item, uint64_t offset, std::vector<uint64_t> shape,
               std::vector<uint64_t> strides)
      : file_(std::move(file)), item_(item), offset_(offset), shape_(std::move(shape)), strides_(std::move(strides)) {
    const size_t r = shape_.size();
    block_.assign(r + 1, 1);
    span_.assign(r + 1, 1);
    for (size_t i = r; i-- > 0;) {
      block_[i] = block_[i + 1] * shape_[i];
      span_[i] = span_[i + 1] + (shape_[i] - 1) * strides_[i];
    }
  }

  Status ReadAt(uint64_t at, std::span<uint8_t> dst) const override {
    const uint64_t total = block_[0] * item_;
    if (at > total || dst.size() > total - at) return Internal("a read past the end of a strided tensor");
    if (dst.empty()) return Status::Ok();
    const size_t r = shape_.size();
    const uint64_t first = at / item_, last = (at + dst.size() - 1) / item_;
    // The outermost level whose blocks' storage fits the window: a whole
    // transposed matrix is read at once, a huge one row by row or, at
    // worst, element by element.
    const uint64_t window = std::max<uint64_t>(kGatherWindow, 2 * uint64_t{dst.size()});
    size_t k = 0;
    while (k < r && span_[k] * item_ > window) ++k;
    std::unique_ptr<uint8_t[]> buf(new (std::nothrow) uint8_t[span_[k] * item_]);
    if (!buf) return OutOfMemory("cannot allocate " + Bytes(span_[k] * item_) + " to gather a strided tensor");

    std::vector<uint64_t> idx(r);
    uint64_t rem = first, s = offset_;
    for (size_t i = r; i-- > 0;) {
      idx[i] = rem % shape_[i];
      rem /= shape_[i];
      s += idx[i] * strides_[i];
    }
    uint64_t base = 0;
    for (uint64_t e = first; e <= last; ++e) {
      if (e == first || e % block_[k] == 0) {
        base = offset_;
        for (size_t i = 0; i < k; ++i) base += idx[i] * strides_[i];
        TFQ_RETURN_IF_ERROR(file_->ReadAt(base * item_, std::span<uint8_t>(buf.get(), span_[k] * item_)));
      }
      const uint8_t* elem = buf.get() + (s - base) * item_;
      const uint64_t lo = std::max(e * item_, at), hi = std::min((e + 1) * item_, at + dst.size());
      std::memcpy(dst.data() + (lo - at), elem + (lo - e * item_), hi - lo);
      for (size_t i = r; i-- > 0;) {
        if (++idx[i] < shape_[i]) {
          s += strides_[i];
          break;
        }
        s -= (shape_[i] - 1) * strides_[i];
        idx[i] = 0;
      }
    }
    return Status::Ok();
  }

 private:
  std::shared_ptr<const RandomAccessFile> file_;
  unsigned item_;
  uint64_t offset_;
  std::vector<uint64_t> shape_, strides_;
  std::vector<uint64_t> block_;  // elements in a block of the dimensions from i on
  std::vector<uint64_t> span_;   // storage elements such a block spans
};

// A step of the walk: the object reached and how it was reached, so that
// a name is spelled out only for a tensor (a prefix string per pending
// object would be quadratic in the depth).
struct PathNode {
  uint32_t parent = 0;
  bool by_position = false;
  uint64_t key = 0;  // an object index (a str or int key), or a list position
  uint64_t length = 0;  // of the name up to here, so a long one is refused before it is built
};

struct Named {
  std::string name;
  uint32_t tensor;
};

class Walker {
 public:
  Walker(const Pickle& p, const std::string& what, const Limits& limits)
      : p_(p), what_(what), limits_(limits), budget_(PickleBudget(limits)) {}

  // The tensors reachable from `root`, depth first in the file's order.
  Status Collect(uint32_t root, std::vector<Named>* out) {
    nodes_.assign(1, PathNode{});
    std::vector<std::pair<uint32_t, uint32_t>> todo{{root, 0}};  // object, its node
    uint64_t name_bytes = 0, steps = 0;
    while (!todo.empty()) {
      auto [obj, node] = todo.back();
      todo.pop_back();
      const PickleObject& o = p_.at(obj);
      if (o.kind == PickleKind::kTensor) {
        if (out->size() >= limits_.weights) {
          return LimitExceeded(what_ + ": more tensors than " + LimitText("weights", limits_.weights) + " allows", "weights");
        }
        if (nodes_[node].length > kMaxTensorName) {
          return Unsupported(what_ + ": a tensor is named by a path of " + Bytes(nodes_[node].length) +
                             "; pack takes names of at most " + Bytes(kMaxTensorName));
        }
        std::string name = NameOf(node);
        name_bytes += name.size();
        // The names end up in the model's JSON.
        if (name_bytes > limits_.json_bytes) {
          return LimitExceeded(what_ + ": the tensor names add up to more than " + LimitText("json_bytes", limits_.json_bytes), "json_bytes");
        }
        out->push_back({std::move(name), o.index});
        continue;
      }
      if (o.kind != PickleKind::kDict && o.kind != PickleKind::kList && o.kind != PickleKind::kTuple) continue;
      const std::vector<uint32_t>& items = p_.items_of(obj);
      const bool dict = o.kind == PickleKind::kDict;
      const size_t step = dict ? 2 : 1;
      // Every item looked at counts, skipped scalars too: a list of a million
      // numbers referenced a million times must not take hours.
      steps += items.size();
      if (steps > uint64_t{budget_} * 4) {
        return LimitExceeded(what_ + ": its containers hold more than " + std::to_string(uint64_t{budget_} * 4) +
                             " items in all, counted per reference; " + LimitText("weights", limits_.weights) +
                             " bounds it", PickleBudgetLimit(limits_));
      }
      for (size_t i = items.size(); i >= step; i -= step) {  // reversed: the stack pops them in order
        const uint32_t value = items[i - 1];
        const PickleKind vk = p_.at(value).kind;
        if (vk != PickleKind::kTensor && vk != PickleKind::kDict && vk != PickleKind::kList && vk != PickleKind::kTuple) {
          continue;  // epochs, learning rates, names: not weights
        }
        PathNode n{node, !dict, dict ? items[i - 2] : (i - 1)};
        if (dict) {
          const PickleKind kk = p_.at(static_cast<uint32_t>(n.key)).kind;
          if (kk != PickleKind::kString && kk != PickleKind::kInt) {
            return Unsupported(what_ + ": " + Where(node) + "holds a " + std::string(PickleKindName(vk)) +
                               " under a key of type " + std::string(PickleKindName(kk)) +
                               "; only str and int keys can name tensors");
          }
        }
        // Shared containers are walked once per reference, cycles forever:
        // the budget stops both.
        if (nodes_.size() >= budget_) {
          return LimitExceeded(what_ + ": its containers are reached more than " + std::to_string(budget_) +
                               " times (a container holding itself, or shared very often); " +
                               LimitText("weights", limits_.weights) + " bounds it", PickleBudgetLimit(limits_));
        }
        n.length = nodes_[node].length + (node == 0 ? 0 : 1) + KeyLength(n);
        nodes_.push_back(n);
        todo.emplace_back(value, static_cast<uint32_t>(nodes_.size() - 1));
      }
    }
    return Status::Ok();
  }

 private:
  uint64_t KeyLength(const PathNode& n) const {
    if (n.by_position) return std::to_string(n.key).size();
    const PickleObject& k = p_.at(static_cast<uint32_t>(n.key));
    return k.kind == PickleKind::kInt ? std::to_string(k.integer).size() : p_.string_of(static_cast<uint32_t>(n.key)).size();
  }
  std::string NameOf(uint32_t node) const {
    std::vector<uint32_t> chain;
    for (uint32_t n = node; n != 0; n = nodes_[n].parent) chain.push_back(n);
    std::string name;
    for (size_t i = chain.size(); i-- > 0;) {
      const PathNode& n = nodes_[chain[i]];
      if (!name.empty() || i + 1 < chain.size()) name += '.';
      if (n.by_position) {
        name += std::to_string(n.key);
      } else if (p_.at(static_cast<uint32_t>(n.key)).kind == PickleKind::kInt) {
        name += std::to_string(p_.at(static_cast<uint32_t>(n.key)).integer);
      } else {
        name += p_.string_of(static_cast<uint32_t>(n.key));
      }
    }
    return name;
  }
  std::string Where(uint32_t node) const { return node == 0 ? "the saved object " : Quoted(NameOf(node)) + " "; }

  const Pickle& p_;
  const std::string& what_;
  const Limits& limits_;
  uint64_t budget_;
  std::vector<PathNode> nodes_;
};

// Which object holds the weights: a checkpoint's state_dict if it has one
// with tensors, else the saved object itself.
Result<std::vector<Named>> FindTensors(const Pickle& p, const std::string& what, const Limits& limits) {
  Walker walker(p, what, limits);
  std::vector<Named> found;
  if (p.at(p.root).kind == PickleKind::kDict) {
    const std::vector<uint32_t>& items = p.items_of(p.root);
    for (std::string_view want : {"state_dict", "model_state_dict", "model"}) {
      for (size_t i = 0; i + 1 < items.size(); i += 2) {
        if (p.at(items[i]).kind != PickleKind::kString || p.string_of(items[i]) != want) continue;
        if (p.at(items[i + 1]).kind != PickleKind::kDict) continue;
        TFQ_RETURN_IF_ERROR(walker.Collect(items[i + 1], &found));
        if (!found.empty()) return found;
      }
    }
  }
  TFQ_RETURN_IF_ERROR(walker.Collect(p.root, &found));
  return found;
}

std::string Stem(std::string_view path) {
  size_t slash = path.find_last_of('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  size_t dot = path.find_last_of('.');
  if (dot != std::string_view::npos && dot > 0) path = path.substr(0, dot);
  return std::string(path);
}

// Reads a small member whole (version, byteorder).
Result<std::string> SmallMember(const ZipArchive& zip, const ZipArchive::Member& m) {
  if (m.size > 64) return FormatError(zip.describe() + ": member " + Quoted(m.name) + " is " + Bytes(m.size) + ", expected a few bytes");
  TFQ_ASSIGN_OR_RETURN(auto f, zip.OpenMember(m, 64));
  std::string s(static_cast<size_t>(m.size), '\0');
  TFQ_RETURN_IF_ERROR(f->ReadAt(0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(s.data()), s.size())));
  return s;
}

// `by_name` points into zip.members(), whose elements stay put when an
// Archive is moved.
struct Archive {
  ZipArchive zip;
  std::string prefix;  // "archive/": where data.pkl is
  const ZipArchive::Member* pickle = nullptr;
  std::unordered_map<std::string_view, const ZipArchive::Member*> by_name;
};

Result<Archive> OpenArchive(FileSource& source, std::string_view path, const std::string& desc, const Limits& limits) {
  TFQ_ASSIGN_OR_RETURN(std::shared_ptr<const RandomAccessFile> file, OpenShared(source, path));
  uint8_t magic[2] = {0, 0};
  if (file->Size() >= 2) TFQ_RETURN_IF_ERROR(file->ReadAt(0, magic));
  if (magic[0] == 0x80) {  // a pickle: the format before torch 1.6
    return Unsupported(desc + " is in torch.save's legacy (pre-1.6) format, which this reader does not take: load it "
                              "with torch.load and save it again with a recent torch.save");
  }
  TFQ_ASSIGN_OR_RETURN(ZipArchive zip, ZipArchive::Open(file, desc, limits));
  Archive a{std::move(zip), {}, nullptr, {}};
  for (const ZipArchive::Member& m : a.zip.members()) {
    a.by_name.emplace(m.name, &m);
    std::string_view name = m.name;
    const size_t slash = name.find('/');
    if (slash == 0 || slash == std::string_view::npos || name.substr(slash) != "/data.pkl") continue;
    if (a.pickle) {
      return FormatError(desc + ": two pickles, " + Quoted(a.pickle->name) + " and " + Quoted(m.name) +
                         "; a torch.save file has one ARCHIVE/data.pkl");
    }
    a.pickle = &m;
    a.prefix = std::string(name.substr(0, slash + 1));
  }
  if (!a.pickle) return FormatError(desc + ": a zip without ARCHIVE/data.pkl, so not a torch.save file");
  return a;
}

// The pickle's bytes: in place when the member is in memory (an inflated
// member, or a stored one of an archive in memory), which `file` keeps.
Status PickleBytes(const Archive& a, const std::string& what, std::shared_ptr<const RandomAccessFile>* file,
                   std::unique_ptr<uint8_t[]>* owned, std::span<const uint8_t>* bytes) {
  const uint64_t size = a.pickle->size;
  if (size > kMaxPickleBytes) {
    return LimitExceeded(what + " is " + Bytes(size) + ", more than the " + Bytes(kMaxPickleBytes) +
                         " a checkpoint's pickle may hold");
  }
  TFQ_ASSIGN_OR_RETURN(*file, a.zip.OpenMember(*a.pickle, kMaxPickleBytes));
  const RandomAccessFile* f = file->get();
  *bytes = f->InMemory();
  if (!bytes->empty() || size == 0) return Status::Ok();
  owned->reset(new (std::nothrow) uint8_t[size]);
  if (!*owned) return OutOfMemory("cannot allocate " + Bytes(size) + " to read " + what);
  TFQ_RETURN_IF_ERROR(f->ReadAt(0, std::span<uint8_t>(owned->get(), size)));
  *bytes = std::span<const uint8_t>(owned->get(), size);
  return Status::Ok();
}

// The tensor's bytes: its storage member, checked against what the pickle
// says of it and of the tensor.
Result<std::shared_ptr<const SourceBytes>> TensorBytes(const Archive& a, const Pickle& p, const PickleTensor& t,
                                                       uint64_t num, const std::string& what, const Limits& limits,
                                                       std::map<std::string, std::shared_ptr<const RandomAccessFile>>* open) {
  const PickleStorage& s = p.storages[t.storage];
  const unsigned item = SourceDTypeBytes(s.dtype);
  const std::string member = a.prefix + "data/" + std::string(s.key);
  auto it = a.by_name.find(member);
  if (it == a.by_name.end()) {
    return FormatError(what + ": its storage " + Quoted(s.key) + " has no member " + Quoted(member) + " in the archive");
  }
  const ZipArchive::Member& m = *it->second;
  const uint64_t max_bytes = limits.tensor_elements * 8;
  if (s.numel < 0) {
    return FormatError(what + ": its storage " + Quoted(s.key) + " claims " + std::to_string(s.numel) + " elements");
  }
  if (static_cast<uint64_t>(s.numel) > max_bytes / item) {
    return LimitExceeded(what + ": its storage " + Quoted(s.key) + " of " + std::to_string(s.numel) +
                         " elements is larger than 8 bytes times " + LimitText("tensor_elements", limits.tensor_elements), "tensor_elements");
  }
  const uint64_t numel = static_cast<uint64_t>(s.numel);
  if (m.size != numel * item) {
    return FormatError(what + ": storage " + Quoted(member) + " should hold " + std::to_string(numel) + " " +
                       std::string(SourceDTypeName(s.dtype)) + " elements (" + Bytes(numel * item) + ") but holds " +
                       Bytes(m.size));
  }
  if (t.offset < 0) return FormatError(what + ": negative storage offset " + std::to_string(t.offset));
  for (int64_t st : t.strides) {
    if (st < 0) return FormatError(what + ": negative stride " + std::to_string(st) + ", which torch never writes");
  }
  const uint64_t offset = static_cast<uint64_t>(t.offset);
  bool beyond = num > 0 && offset >= numel;
  uint64_t reach = offset;  // the last element reached
  bool contiguous = true;
  uint64_t expected = 1;
  for (size_t i = t.shape.size(); i-- > 0;) {
    const uint64_t d = static_cast<uint64_t>(t.shape[i]), st = static_cast<uint64_t>(t.strides[i]);
    // (d - 1) * st within what is left of the storage, without overflow.
    if (num > 0 && !beyond && d > 1) {
      if (st > (numel - 1 - reach) / (d - 1)) beyond = true;
      else reach += (d - 1) * st;
    }
    if (d != 1) {
      if (st != expected) contiguous = false;
      expected *= d;
    }
  }
  if (beyond) {
    return FormatError(what + ": shape " + ShapeText(t.shape) + " with strides " + ShapeText(t.strides) + " at offset " +
                       std::to_string(offset) + " reaches past its storage " + Quoted(s.key) + " of " +
                       std::to_string(numel) + " elements");
  }
  if (num == 0 && offset > numel) {
    return FormatError(what + ": storage offset " + std::to_string(offset) + " past its storage " + Quoted(s.key) +
                       " of " + std::to_string(numel) + " elements");
  }
  auto& file = (*open)[member];
  if (!file) {
    TFQ_ASSIGN_OR_RETURN(file, a.zip.OpenMember(m, max_bytes));
  }
  if (contiguous) return std::shared_ptr<const SourceBytes>(std::make_shared<RangeBytes>(file, offset * item));
  std::vector<uint64_t> shape(t.shape.begin(), t.shape.end()), strides(t.strides.begin(), t.strides.end());
  return std::shared_ptr<const SourceBytes>(
      std::make_shared<StridedBytes>(file, item, offset, std::move(shape), std::move(strides)));
}

}  // namespace

Status ReadTorch(FileSource& source, std::string_view path, const Limits& limits, std::vector<SourceTensor>* out) {
  const std::string desc = source.Describe(path);
  TFQ_ASSIGN_OR_RETURN(Archive a, OpenArchive(source, path, desc, limits));
  if (auto it = a.by_name.find(a.prefix + "byteorder"); it != a.by_name.end()) {
    TFQ_ASSIGN_OR_RETURN(std::string order, SmallMember(a.zip, *it->second));
    if (order == "big") {
      return Unsupported(desc + " was saved on a big-endian machine (byteorder \"big\"); load and save it again on a "
                                "little-endian one");
    }
    if (order != "little") return FormatError(desc + ": byteorder " + Quoted(order) + ", expected \"little\"");
  }
  const std::string what = desc + ": " + Quoted(a.pickle->name);
  std::shared_ptr<const RandomAccessFile> pickle_file;
  std::unique_ptr<uint8_t[]> owned;
  std::span<const uint8_t> bytes;
  TFQ_RETURN_IF_ERROR(PickleBytes(a, what, &pickle_file, &owned, &bytes));
  TFQ_ASSIGN_OR_RETURN(Pickle p, ParsePickle(bytes, what, limits));
  TFQ_ASSIGN_OR_RETURN(std::vector<Named> found, FindTensors(p, desc, limits));
  if (found.empty()) return FormatError("no tensors found in " + desc);

  std::unordered_set<std::string> names;
  std::map<std::string, std::shared_ptr<const RandomAccessFile>> open;
  for (Named& n : found) {
    if (n.name.empty()) n.name = Stem(path);  // torch.save(tensor): one tensor, named after the file
    const std::string tensor_what = desc + ": tensor " + Quoted(n.name);
    if (!names.insert(n.name).second) return FormatError(desc + ": two tensors named " + Quoted(n.name));
    const PickleTensor& t = p.tensors[n.tensor];
    TFQ_ASSIGN_OR_RETURN(uint64_t num, CheckSourceShape(t.shape, limits, tensor_what));
    SourceTensor st;
    st.dtype = p.storages[t.storage].dtype;
    st.shape = t.shape;
    st.num_elements = num;
    TFQ_ASSIGN_OR_RETURN(st.bytes, TensorBytes(a, p, t, num, tensor_what, limits, &open));
    st.origin = desc + ": " + Quoted(a.prefix + "data/" + std::string(p.storages[t.storage].key));
    st.name = std::move(n.name);
    out->push_back(std::move(st));
  }
  return Status::Ok();
}

}  // namespace tfq
