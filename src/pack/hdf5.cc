// SPDX-License-Identifier: Apache-2.0
// Keras weights in HDF5 through libhdf5: Keras 2 / tf.keras .h5 files
// (save_weights, legacy model.save) and the model.weights.h5 inside a
// Keras 3 .keras archive, named and ordered as tensorflowjs_converter
// (keras_h5_conversion.py) names and orders them.
//
// libhdf5 reads the file; this file decides which objects are weights, and
// hdf5_dataset.cc what a dataset holds and how it is read. Together they
// keep hostile files within bounds: the group walk uses an explicit stack
// with a depth and a visit bound, external links, external raw-data files,
// virtual datasets and filter plugins are refused (each would read other
// files or load code), every element count passes CheckSourceShape before
// anything is allocated, and compressed chunks are sized before libhdf5
// 1.10 trusts them. libhdf5's own parsing of damaged metadata is beyond
// reach here. Debian's libhdf5 is not thread-safe: every call into it
// holds one process-wide lock.
#include "tfjs_quant/hdf5.h"

#include <hdf5.h>

#include <cstring>
#include <filesystem>
#include <mutex>
#include <new>
#include <optional>
#include <utility>

#include "pack/hdf5_internal.h"
#include "pack/zip.h"
#include "tfjs_quant/text.h"

namespace tfq {
namespace {

// Longest attribute string (a layer or weight name) and all of one
// attribute's strings together: far above what Keras writes.
constexpr size_t kMaxNameBytes = size_t{1} << 16;
constexpr uint64_t kMaxAttrBytes = uint64_t{64} << 20;
// Groups nested deeper than this are refused (Keras nests a few levels).
constexpr size_t kMaxDepth = 64;
// The largest model.weights.h5 read from a .keras archive: it is held in
// memory (libhdf5 opens it as a file image).
constexpr uint64_t kMaxImageBytes = uint64_t{2} << 30;

void InitLibrary() {
  static const bool done = [] {
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // failures become Status values, not stderr text
    H5PLset_loading_state(0);                     // a file's filter id must never load a plugin
    return true;
  }();
  (void)done;
}

herr_t MostSpecific(unsigned n, const H5E_error2_t* e, void* data) {
  if (n == 0 && e->desc) *static_cast<std::string*>(data) = e->desc;
  return 0;
}

// Set when a path went through an external link (the lock held): such a
// failure is then reported as what it is, not as a missing object.
bool external_link_refused = false;

herr_t RefuseExternalLink(const char*, const char*, const char*, const char*, unsigned*, hid_t, void*) {
  external_link_refused = true;
  return -1;
}

}  // namespace

namespace h5 {

std::recursive_mutex& Hdf5Mutex() {
  static std::recursive_mutex m;
  return m;
}

// " (libhdf5: ...)": the most specific message of the failure just seen.
std::string LibError() {
  std::string desc;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, MostSpecific, &desc);
  H5Eclear2(H5E_DEFAULT);
  return desc.empty() ? std::string() : " (libhdf5: " + Printable(desc) + ")";
}

// Why opening `what` failed.
Status OpenFailure(const std::string& what, const std::string& otherwise) {
  if (std::exchange(external_link_refused, false)) {
    H5Eclear2(H5E_DEFAULT);
    return Unsupported(what + ": is reached through an external link (into another file), which pack does not follow");
  }
  return FormatError(what + ": " + otherwise + LibError());
}

Result<Access> MakeAccess() {
  Access a{Id(H5Pcreate(H5P_LINK_ACCESS)), Id(H5Pcreate(H5P_GROUP_ACCESS)), Id(H5Pcreate(H5P_DATASET_ACCESS))};
  for (const Id* p : {&a.lapl, &a.gapl, &a.dapl}) {
    if (!p->ok() || H5Pset_elink_cb(p->get(), RefuseExternalLink, nullptr) < 0) {
      return Internal("cannot set up libhdf5 property lists" + LibError());
    }
  }
  return a;
}

}  // namespace h5

namespace {

using h5::Access;
using h5::DatasetInfo;
using h5::Hdf5Mutex;
using h5::Id;
using h5::Inspect;
using h5::LibError;
using h5::Lock;
using h5::MakeAccess;
using h5::OpenFailure;
using h5::OpenFile;

Result<std::shared_ptr<OpenFile>> OpenWith(const char* name, Id fapl, const std::string& file) {
  // No sieve buffer: whole datasets are read at once, and libhdf5 1.10's
  // sieve-buffer code reads past its buffer on some damaged files.
  if (!fapl.ok() || H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG) < 0 ||
      H5Pset_sieve_buf_size(fapl.get(), 0) < 0) {
    return Internal("cannot set up libhdf5 to open " + file + LibError());
  }
  auto f = std::make_shared<OpenFile>();
  f->id = Id(H5Fopen(name, H5F_ACC_RDONLY, fapl.get()));
  if (!f->id.ok()) return FormatError(file + " is not a readable HDF5 file" + LibError());
  return f;
}

// Appends the strings of attribute `attr` (fixed-length, as numpy 'S'
// arrays, or variable-length). An attribute with no elements is an empty
// list whatever its type: Keras writes np.asarray([]), float64, for a layer
// without weights.
Status ReadStringAttr(hid_t obj, const std::string& attr, const std::string& where, const Limits& limits,
                      std::vector<std::string>* out) {
  const std::string what = where + ": attribute " + Quoted(attr);
  Id a(H5Aopen(obj, attr.c_str(), H5P_DEFAULT));
  Id space(a.ok() ? H5Aget_space(a.get()) : -1);
  Id type(a.ok() ? H5Aget_type(a.get()) : -1);
  const hssize_t n = space.ok() ? H5Sget_simple_extent_npoints(space.get()) : -1;
  if (!type.ok() || n < 0) return FormatError(what + ": cannot be read" + LibError());
  if (n == 0) return Status::Ok();
  if (H5Tget_class(type.get()) != H5T_STRING) return FormatError(what + ": expected strings");
  const auto count = static_cast<uint64_t>(n);
  if (count > limits.weights || out->size() + count > limits.weights) {
    return LimitExceeded(what + ": " + std::to_string(out->size() + count) + " names exceed " +
                         LimitText("weights", limits.weights), "weights");
  }
  const htri_t variable = H5Tis_variable_str(type.get());
  if (variable < 0) return FormatError(what + ": cannot be read" + LibError());
  if (variable > 0) {
    Id mem(H5Tcopy(H5T_C_S1));
    // The file's character set, or libhdf5 finds no conversion (h5py writes UTF-8).
    if (!mem.ok() || H5Tset_size(mem.get(), H5T_VARIABLE) < 0 ||
        H5Tset_cset(mem.get(), H5Tget_cset(type.get())) < 0) {
      return FormatError(what + ": cannot be read" + LibError());
    }
    std::vector<char*> ptrs(count, nullptr);
    if (H5Aread(a.get(), mem.get(), ptrs.data()) < 0) return FormatError(what + ": cannot be read" + LibError());
    Status s;
    for (char* p : ptrs) {
      const size_t len = p ? strnlen(p, kMaxNameBytes + 1) : 0;
      if (len > kMaxNameBytes) {
        s = LimitExceeded(what + ": a name longer than " + Bytes(kMaxNameBytes));
        break;
      }
      out->emplace_back(p ? p : "", len);
    }
    H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
    return s;
  }
  const size_t size = H5Tget_size(type.get());
  if (size == 0) return FormatError(what + ": strings of 0 bytes");
  if (size > kMaxNameBytes || count * size > kMaxAttrBytes) {
    return LimitExceeded(what + ": " + std::to_string(count) + " names of " + Bytes(size) + " each; pack reads " +
                         "names of at most " + Bytes(kMaxNameBytes) + ", " + Bytes(kMaxAttrBytes) + " in all");
  }
  std::string buf(count * size, '\0');
  if (H5Aread(a.get(), type.get(), buf.data()) < 0) return FormatError(what + ": cannot be read" + LibError());
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view s(buf.data() + i * size, size);
    while (!s.empty() && s.back() == '\0') s.remove_suffix(1);  // numpy's 'S' drops trailing NULs
    out->emplace_back(s);
  }
  return Status::Ok();
}

// The names in attribute `attr`, or nullopt if there is none. Keras splits
// a list too large for one attribute header into attr0, attr1, ...
Result<std::optional<std::vector<std::string>>> ReadNames(hid_t obj, const std::string& attr, const std::string& where,
                                                           const Limits& limits) {
  std::vector<std::string> names;
  htri_t e = H5Aexists(obj, attr.c_str());
  if (e < 0) return FormatError(where + ": cannot list its attributes" + LibError());
  if (e > 0) {
    TFQ_RETURN_IF_ERROR(ReadStringAttr(obj, attr, where, limits, &names));
  } else {
    for (uint64_t i = 0; i <= limits.weights; ++i) {
      const std::string part = attr + std::to_string(i);
      e = H5Aexists(obj, part.c_str());
      if (e < 0) return FormatError(where + ": cannot list its attributes" + LibError());
      if (e == 0) {
        if (i == 0) return std::optional<std::vector<std::string>>();
        break;
      }
      TFQ_RETURN_IF_ERROR(ReadStringAttr(obj, part, where, limits, &names));
    }
  }
  for (const std::string& n : names) {
    if (n.find('\0') != std::string::npos || !IsUtf8(n)) {
      return FormatError(where + ": attribute " + Quoted(attr) + " holds " + Quoted(n) +
                         ", which is not a NUL-free UTF-8 name");
    }
  }
  return std::optional<std::vector<std::string>>(std::move(names));
}

struct Link {
  std::string name;
  H5L_type_t type;
};

herr_t CollectLink(hid_t, const char* name, const H5L_info_t* info, void* data) {
  auto* links = static_cast<std::vector<Link>*>(data);
  if (strnlen(name, kMaxNameBytes + 1) > kMaxNameBytes) return -1;
  links->push_back({name, info->type});
  return 0;
}

// A group's members in h5py's order: by creation if the group tracks it,
// else by name (what the converter's `group.keys()` gives).
Result<std::vector<Link>> Members(hid_t group, const std::string& where, const Limits& limits) {
  H5G_info_t info;
  if (H5Gget_info(group, &info) < 0) return FormatError(where + ": cannot list its members" + LibError());
  if (info.nlinks > limits.weights) {
    return LimitExceeded(where + ": " + std::to_string(info.nlinks) + " members exceed " +
                         LimitText("weights", limits.weights), "weights");
  }
  H5_index_t index = H5_INDEX_NAME;
  Id gcpl(H5Gget_create_plist(group));
  unsigned order = 0;
  if (gcpl.ok() && H5Pget_link_creation_order(gcpl.get(), &order) >= 0 && (order & H5P_CRT_ORDER_TRACKED)) {
    index = H5_INDEX_CRT_ORDER;
  }
  std::vector<Link> links;
  links.reserve(info.nlinks);
  if (H5Literate(group, index, H5_ITER_INC, nullptr, CollectLink, &links) < 0) {
    // Tracked but not indexed: h5py would fail; by name is the next best.
    links.clear();
    if (index == H5_INDEX_NAME || H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, CollectLink, &links) < 0) {
      return FormatError(where + ": cannot list its members" + LibError());
    }
  }
  return links;
}

std::string Join(const std::string& group, std::string_view name) {
  if (group.empty()) return std::string(name);
  return (group == "/" ? std::string() : group) + "/" + std::string(name);
}

// Lists the weights of one open file (the lock held).
class Lister {
 public:
  Lister(std::shared_ptr<OpenFile> file, std::string file_text, const Limits& limits, Access access)
      : file_(std::move(file)), file_text_(std::move(file_text)), limits_(limits), access_(std::move(access)) {}

  // Keras 2: h5_weights_to_tfjs_format (the root's layer_names, in order)
  // or h5_merged_saved_model_to_tfjs_format (the members of
  // /model_weights, in h5py's order, whatever its layer_names says).
  Status Keras2() {
    const hid_t root = file_->id.get();
    const htri_t whole = H5Lexists(root, "model_weights", access_.lapl.get());
    if (whole < 0) return FormatError(file_text_ + ": cannot list the root group" + LibError());
    if (whole > 0) {
      TFQ_ASSIGN_OR_RETURN(Id mw, OpenGroup(root, "/", "model_weights"));
      TFQ_ASSIGN_OR_RETURN(std::vector<Link> links, Members(mw.get(), Where("/model_weights"), limits_));
      for (const Link& l : links) {
        TFQ_RETURN_IF_ERROR(CheckLink(l, "/model_weights"));
        TFQ_RETURN_IF_ERROR(Namespace(mw.get(), "/model_weights", l.name));
      }
      return Status::Ok();
    }
    TFQ_ASSIGN_OR_RETURN(auto names, ReadNames(root, "layer_names", file_text_, limits_));
    if (!names) {
      // Keras 3's save_weights (x.weights.h5) is laid out as the
      // model.weights.h5 of a .keras archive.
      const htri_t v3 = H5Lexists(root, "layers", access_.lapl.get());
      if (v3 > 0) return Keras3();
      return FormatError(file_text_ +
                         " is not a Keras weights file: its root has no 'layer_names' attribute, no /model_weights "
                         "group and no /layers group");
    }
    for (const std::string& layer : *names) TFQ_RETURN_IF_ERROR(Namespace(root, "/", layer));
    return Status::Ok();
  }

  // Keras 3 (h5_v3_merged_saved_model_to_tfjs_format): every dataset, named
  // by its path from the root ("layers/dense/vars/0"), depth first in h5py's
  // order; /optimizer holds the optimizer's state, not model weights.
  Status Keras3() {
    TFQ_ASSIGN_OR_RETURN(Id root, OpenGroup(file_->id.get(), "", "/"));
    std::optional<Frame> top;
    TFQ_RETURN_IF_ERROR(Descend(std::move(root), "/", &top));
    auto member = [&](const Frame& f, const Link& l, size_t depth, std::optional<Frame>* sub) -> Status {
      if (depth == 1 && l.name == "optimizer") return Status::Ok();
      TFQ_RETURN_IF_ERROR(CheckLink(l, f.path));
      const std::string path = Join(f.path, l.name);
      TFQ_ASSIGN_OR_RETURN(H5I_type_t type, Visit(f.group.get(), path, l.name));
      if (type == H5I_DATASET) return AddDataset(f.group.get(), f.path, l.name, path.substr(1));
      if (type != H5I_GROUP) return Status::Ok();
      TFQ_RETURN_IF_ERROR(CheckDepth(depth, path));
      TFQ_ASSIGN_OR_RETURN(Id g, OpenGroup(f.group.get(), f.path, l.name));
      return Descend(std::move(g), path, sub);
    };
    return Walk(std::move(*top), member);
  }

  std::vector<SourceTensor>& tensors() { return tensors_; }

 private:
  // A group being walked: its members, and the next one to visit.
  struct Frame {
    Id group;
    std::string path;
    std::vector<Link> links;
    size_t next = 0;
  };

  // Walks the groups below `top` depth first, in h5py's order, on an
  // explicit stack (no recursion, however deep the file nests): calls
  // `member(group, link, depth, &sub)` on each member of each group, depth
  // being the number of groups open (1 for top's members), and descends
  // into *sub when `member` sets it.
  template <typename Member>
  Status Walk(Frame top, Member member) {
    std::vector<Frame> stack;
    stack.push_back(std::move(top));
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next == f.links.size()) {
        stack.pop_back();
        continue;
      }
      const Link& l = f.links[f.next++];
      std::optional<Frame> sub;
      TFQ_RETURN_IF_ERROR(member(f, l, stack.size(), &sub));
      if (sub) stack.push_back(std::move(*sub));  // invalidates f and l
    }
    return Status::Ok();
  }

  // Group `g`, at `path`, with its members listed into *sub, to be walked.
  Status Descend(Id g, const std::string& path, std::optional<Frame>* sub) {
    TFQ_ASSIGN_OR_RETURN(std::vector<Link> links, Members(g.get(), Where(path), limits_));
    sub->emplace(Frame{std::move(g), path, std::move(links)});
    return Status::Ok();
  }

  std::string Where(const std::string& path) const { return file_text_ + ": " + Quoted(path); }

  Status CheckLink(const Link& l, const std::string& group) const {
    if (l.type == H5L_TYPE_HARD || l.type == H5L_TYPE_SOFT) return Status::Ok();
    return Unsupported(Where(Join(group, l.name)) + ": is an external or user-defined link (to another file), which " +
                       "pack does not follow");
  }

  Status CheckDepth(size_t depth, const std::string& path) const {
    if (depth < kMaxDepth) return Status::Ok();
    return LimitExceeded(Where(path) + ": groups nested more than " + std::to_string(kMaxDepth) + " deep");
  }

  // The kind of object `name` of `loc` is, counting it against the visit
  // bound (hard links can make a small file's tree exponentially large).
  Result<H5I_type_t> Visit(hid_t loc, const std::string& path, const std::string& name) {
    if (++visits_ > 4 * limits_.weights + 1024) {
      return LimitExceeded(file_text_ + ": more than " + std::to_string(visits_ - 1) +
                           " groups and datasets to visit (each path through hard links counts), beyond what " +
                           LimitText("weights", limits_.weights) + " allows", "weights");
    }
    Id o(H5Oopen(loc, name.c_str(), access_.lapl.get()));
    if (!o.ok()) return OpenFailure(Where(path), "cannot be opened");
    return H5Iget_type(o.get());
  }

  Result<Id> OpenGroup(hid_t loc, const std::string& loc_path, const std::string& name) const {
    Id g(H5Gopen2(loc, name.c_str(), access_.gapl.get()));
    if (!g.ok()) return OpenFailure(Where(Join(loc_path, name)), "expected a group");
    return g;
  }

  // _convert_h5_group: a group with a weight_names attribute holds those
  // weights (":0" dropped from their names); one without is a namespace
  // whose members are converted in turn.
  Status Namespace(hid_t loc, const std::string& loc_path, const std::string& name) {
    // Member `member` of `parent`, with `depth` groups open above it.
    auto convert = [&](hid_t parent, const std::string& parent_path, const std::string& member, size_t depth,
                       std::optional<Frame>* sub) -> Status {
      const std::string path = Join(parent_path, member);
      TFQ_RETURN_IF_ERROR(CheckDepth(depth, path));
      TFQ_ASSIGN_OR_RETURN(H5I_type_t type, Visit(parent, path, member));
      if (type != H5I_GROUP) {
        return FormatError(Where(path) + ": expected a layer group (with a 'weight_names' attribute), found " +
                           (type == H5I_DATASET ? "a dataset" : "another kind of object"));
      }
      TFQ_ASSIGN_OR_RETURN(Id g, OpenGroup(parent, parent_path, member));
      TFQ_ASSIGN_OR_RETURN(auto weights, ReadNames(g.get(), "weight_names", Where(path), limits_));
      if (!weights) return Descend(std::move(g), path, sub);
      for (const std::string& w : *weights) {
        const std::string tensor = w.ends_with(":0") ? w.substr(0, w.size() - 2) : w;
        TFQ_RETURN_IF_ERROR(AddDataset(g.get(), path, w, tensor));
      }
      return Status::Ok();
    };
    std::optional<Frame> top;
    TFQ_RETURN_IF_ERROR(convert(loc, loc_path, name, 0, &top));
    if (!top) return Status::Ok();
    auto member = [&](const Frame& f, const Link& l, size_t depth, std::optional<Frame>* sub) -> Status {
      TFQ_RETURN_IF_ERROR(CheckLink(l, f.path));
      return convert(f.group.get(), f.path, l.name, depth, sub);
    };
    return Walk(std::move(*top), member);
  }

  // Adds dataset `name` of group `group` (at `group_path`) as `tensor`.
  Status AddDataset(hid_t group, const std::string& group_path, const std::string& name, const std::string& tensor) {
    const std::string what = Where(Join(group_path, name));
    if (tensors_.size() >= limits_.weights) {
      return LimitExceeded(what + ": one dataset more than " + LimitText("weights", limits_.weights) + " allows", "weights");
    }
    if (!IsUtf8(tensor)) return FormatError(what + ": its name is not UTF-8");
    Id ds(H5Dopen2(group, name.c_str(), access_.dapl.get()));
    if (!ds.ok()) return OpenFailure(what, "no such dataset, though " + Quoted(group_path) + " lists it");
    TFQ_ASSIGN_OR_RETURN(DatasetInfo info, Inspect(ds.get(), what, limits_));
    SourceTensor t;
    t.name = tensor;
    t.dtype = info.dtype;
    t.shape = std::move(info.shape);
    t.num_elements = info.elements;
    t.origin = file_text_ + ": dataset " + Quoted(Join(group_path, name));
    t.bytes = h5::DatasetBytes(file_, group_path, name, info.dtype, info.elements, what);
    tensors_.push_back(std::move(t));
    return Status::Ok();
  }

  std::shared_ptr<OpenFile> file_;
  std::string file_text_;
  const Limits& limits_;
  Access access_;
  uint64_t visits_ = 0;
  std::vector<SourceTensor> tensors_;
};

}  // namespace

Status ReadHdf5(const std::string& disk_path, std::string_view display, const Limits& limits,
                std::vector<SourceTensor>* out) {
  const std::string file = Printable(display, 1024);
  std::error_code ec;
  const auto st = std::filesystem::status(disk_path, ec);
  if (!std::filesystem::exists(st)) return NotFound(file + ": no such file");
  if (!std::filesystem::is_regular_file(st)) return UnsafePath(file + ": not a plain file");
  Lock lock(Hdf5Mutex());
  InitLibrary();
  external_link_refused = false;
  const htri_t is = H5Fis_hdf5(disk_path.c_str());
  if (is < 0) return IOError(file + ": cannot be read" + LibError());
  if (is == 0) return FormatError(file + " is not an HDF5 file (no HDF5 signature)");
  TFQ_ASSIGN_OR_RETURN(auto f, OpenWith(disk_path.c_str(), Id(H5Pcreate(H5P_FILE_ACCESS)), file));
  TFQ_ASSIGN_OR_RETURN(Access access, MakeAccess());
  Lister lister(std::move(f), file, limits, std::move(access));
  TFQ_RETURN_IF_ERROR(lister.Keras2());
  for (auto& t : lister.tensors()) out->push_back(std::move(t));
  return Status::Ok();
}

Status ReadKeras(FileSource& source, std::string_view path, const Limits& limits, std::vector<SourceTensor>* out) {
  const std::string file = source.Describe(path);
  TFQ_ASSIGN_OR_RETURN(auto raw, OpenShared(source, path));
  TFQ_ASSIGN_OR_RETURN(ZipArchive zip, ZipArchive::Open(std::move(raw), file, limits));
  const ZipArchive::Member* m = zip.Find("model.weights.h5");
  if (!m) {
    if (zip.Find("model.weights.npz")) {
      return Unsupported(file + ": holds its weights as model.weights.npz; save the model with the default HDF5 "
                                "weights or read the .npz with pack directly");
    }
    return FormatError(file + " is not a Keras 3 archive: it has no model.weights.h5 member");
  }
  const std::string where = file + ": model.weights.h5";
  if (m->size == 0) return FormatError(where + " is empty");
  if (m->size > kMaxImageBytes) {
    return LimitExceeded(where + ": " + Bytes(m->size) + "; pack reads at most " + Bytes(kMaxImageBytes) +
                         " of weights from a .keras archive (it is held in memory)");
  }
  TFQ_ASSIGN_OR_RETURN(auto member, zip.OpenMember(*m, kMaxImageBytes));
  std::span<const uint8_t> image = member->InMemory();
  std::unique_ptr<uint8_t[]> copy;
  if (image.empty()) {
    const uint64_t size = member->Size();
    copy.reset(new (std::nothrow) uint8_t[size]);
    if (!copy) return OutOfMemory("cannot allocate " + Bytes(size) + " to read " + where);
    TFQ_RETURN_IF_ERROR(member->ReadAt(0, std::span<uint8_t>(copy.get(), size)));
    image = std::span<const uint8_t>(copy.get(), size);
  }
  Lock lock(Hdf5Mutex());
  InitLibrary();
  external_link_refused = false;
  // The core driver copies the image: it serves every later read from
  // memory and touches no file on disk (no backing store).
  Id fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (!fapl.ok() || H5Pset_fapl_core(fapl.get(), size_t{1} << 20, 0) < 0 ||
      H5Pset_file_image(fapl.get(), const_cast<uint8_t*>(image.data()), image.size()) < 0) {
    return Internal("cannot set up libhdf5 to read " + where + LibError());
  }
  copy.reset();
  member.reset();
  TFQ_ASSIGN_OR_RETURN(auto f, OpenWith("model.weights.h5", std::move(fapl), where));
  TFQ_ASSIGN_OR_RETURN(Access access, MakeAccess());
  Lister lister(std::move(f), where, limits, std::move(access));
  TFQ_RETURN_IF_ERROR(lister.Keras3());
  for (auto& t : lister.tensors()) out->push_back(std::move(t));
  return Status::Ok();
}

}  // namespace tfq
