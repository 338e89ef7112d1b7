// SPDX-License-Identifier: Apache-2.0
// Opening a model: every shard's size is taken, summed per group and
// compared with the manifest before any tensor is read (spec 1.4, 1.5).
// Shards are opened again for each read and closed after it, so the number
// of open files never depends on the input.
#include "tfjs_quant/model.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "tfjs_quant/quantize.h"
#include "tfjs_quant/text.h"

namespace tfq {

Model::~Model() = default;

Result<Model> Model::Open(FileSource& source, std::string_view json_name, const Limits& limits) {
  TFQ_ASSIGN_OR_RETURN(std::string text, ReadAll(source, json_name, limits.json_bytes, "json_bytes"));
  return FromText(source, std::move(text), json_name, limits);
}

Result<Model> Model::FromText(FileSource& source, std::string json_text, std::string_view json_name,
                              const Limits& limits) {
  Model m;
  m.source_ = &source;
  m.limits_ = limits;
  TFQ_ASSIGN_OR_RETURN(m.file_, ParseModelFile(std::move(json_text), json_name, limits));
  m.groups_.resize(m.file_.groups.size());
  for (size_t g = 0; g < m.file_.groups.size(); ++g) {
    TFQ_RETURN_IF_ERROR(m.OpenShards(g));
    TFQ_RETURN_IF_ERROR(m.LayOutGroup(g));
  }
  return m;
}

uint64_t Model::total_bytes() const {
  uint64_t n = 0;
  for (const auto& g : groups_) n += g.size;
  return n;
}

namespace {
std::string GroupWhere(const ModelFile& f, size_t g) {
  return Printable(f.file_name) + ": " + (f.kind == ModelKind::kModelJson ? "weightsManifest" : "") + "[" +
         std::to_string(g) + "]";
}
}  // namespace

// The group's shards by name, at most a few: messages stay short whatever
// the model holds.
std::string Model::ShardList(size_t g) const {
  constexpr size_t kShown = 4;
  const auto& paths = file_.groups[g].paths;
  if (paths.empty()) return "no shard";
  std::string out;
  for (size_t p = 0; p < paths.size() && p < kShown; ++p) out += (p ? ", " : "") + Quoted(paths[p], 80);
  if (paths.size() > kShown) out += " and " + std::to_string(paths.size() - kShown) + " more";
  return out;
}

Status Model::OpenShards(size_t g) {
  const WeightGroup& group = file_.groups[g];
  GroupData& gd = groups_[g];
  for (size_t p = 0; p < group.files.size(); ++p) {
    auto f = source_->Open(group.files[p]);
    if (!f.ok()) {
      return Status(f.status().code(), GroupWhere(file_, g) + ".paths[" + std::to_string(p) + "]: shard " +
                                           Quoted(group.paths[p]) + " cannot be read: " + f.status().message());
    }
    const uint64_t size = (*f)->Size();
    if (size > std::numeric_limits<uint64_t>::max() - gd.size) {
      return FormatError(GroupWhere(file_, g) + ": the shards' sizes add up to more than 2^64 bytes");
    }
    gd.shards.push_back({group.files[p], gd.size, size});
    gd.size += size;
  }
  return Status::Ok();
}

// Bytes of a string weight at `offset`: each element is a uint32 length and
// that many bytes, walked as tfjs's getWeightBytelength does, through a
// buffer (one read per chunk, not per element). Running past the group's end
// gives more than the group holds, reported as short by the caller.
Result<uint64_t> Model::StringBytes(size_t g, uint64_t offset, const WeightEntry& e) const {
  const uint64_t have = groups_[g].size;
  constexpr uint64_t kChunk = uint64_t{1} << 20;
  std::vector<uint8_t> buf;
  uint64_t buf_start = 0;
  uint64_t size = 0;
  for (uint64_t k = 0; k < e.num_elements; ++k) {
    const uint64_t at = offset + size;
    if (at > have || have - at < 4) return have + 1 - offset;
    if (at < buf_start || at + 4 > buf_start + buf.size()) {
      buf_start = at;
      buf.resize(static_cast<size_t>(std::min(kChunk, have - at)));
      TFQ_RETURN_IF_ERROR(ReadGroup(g, buf_start, buf));
    }
    const uint8_t* len = buf.data() + (at - buf_start);
    size += 4 + (uint64_t{len[0]} | uint64_t{len[1]} << 8 | uint64_t{len[2]} << 16 | uint64_t{len[3]} << 24);
    if (size > have - offset) return have + 1 - offset;  // past the end: short
    if (size > limits_.string_bytes) {
      return LimitExceeded(GroupWhere(file_, g) + ": string weight " + Quoted(e.name) + " (" + e.location +
                           ") holds more than " + Bytes(limits_.string_bytes) + ", more than " +
                           LimitText("string_bytes", limits_.string_bytes) + " allows", "string_bytes");
    }
  }
  return size;
}

// Lays the entries out back to back and checks that the shards hold
// exactly their bytes.
Status Model::LayOutGroup(size_t g) {
  const WeightGroup& group = file_.groups[g];
  uint64_t offset = 0;
  const uint64_t have = groups_[g].size;
  for (size_t i = 0; i < group.weights.size(); ++i) {
    const WeightEntry& e = group.weights[i];
    bool variable = false;
    uint64_t size = e.FixedByteSize(&variable);
    if (variable) {
      TFQ_ASSIGN_OR_RETURN(size, StringBytes(g, offset, e));
    }
    if (offset > have || size > have - offset) {
      return FormatError(GroupWhere(file_, g) + ": the shards (" + ShardList(g) + ") hold " + Bytes(have) +
                         " but weight " + Quoted(e.name) + " (" + e.location + ") needs bytes " +
                         std::to_string(offset) + " to " + std::to_string(offset + size) +
                         ": a shard is missing or short");
    }
    tensors_.push_back({g, i, offset, size});
    offset += size;
  }
  if (offset != have) {
    return FormatError(GroupWhere(file_, g) + ": the manifest describes " + Bytes(offset) + " of weights but the shards (" +
                       ShardList(g) + ") hold " + Bytes(have) + " (" + Bytes(have - offset) +
                       " too many): a shard is too long or belongs to another model");
  }
  return Status::Ok();
}

std::vector<Model::Shard>::const_iterator Model::ShardAt(size_t group, uint64_t offset) const {
  const GroupData& gd = groups_[group];
  // First shard whose end lies past offset.
  return std::upper_bound(gd.shards.begin(), gd.shards.end(), offset,
                          [](uint64_t off, const Shard& s) { return off < s.start + s.size; });
}

Status Model::ReadGroup(size_t group, uint64_t offset, std::span<uint8_t> dst) const {
  const GroupData& gd = groups_[group];
  auto it = ShardAt(group, offset);
  size_t done = 0;
  while (done < dst.size()) {
    if (it == gd.shards.end()) return Internal("read past the end of group " + std::to_string(group));
    const uint64_t local = offset + done - it->start;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(dst.size() - done, it->size - local));
    auto f = source_->Open(it->path);
    if (!f.ok()) return f.status().Prefixed("reading shard " + Quoted(it->path));
    if ((*f)->Size() != it->size) {
      return IOError(source_->Describe(it->path) + " changed size while being read (from " + Bytes(it->size) +
                     " to " + Bytes((*f)->Size()) + ")");
    }
    TFQ_RETURN_IF_ERROR((*f)->ReadAt(local, dst.subspan(done, n)));
    done += n;
    ++it;
  }
  return Status::Ok();
}

Status Model::ReadStored(const TensorLocation& t, std::vector<uint8_t>* out) const {
  out->resize(t.byte_size);
  return ReadGroup(t.group, t.offset, *out);
}

Status Model::ReadStored(const TensorLocation& t, std::span<uint8_t> out) const {
  if (out.size() != t.byte_size) return Internal("ReadStored: buffer size does not match the weight's bytes");
  return ReadGroup(t.group, t.offset, out);
}

std::span<const uint8_t> Model::StoredInMemory(const TensorLocation& t) const {
  if (!source_->HoldsBytesInMemory() || t.byte_size == 0) return {};
  auto it = ShardAt(t.group, t.offset);
  if (it == groups_[t.group].shards.end() || t.offset + t.byte_size > it->start + it->size) return {};
  auto f = source_->Open(it->path);
  if (!f.ok()) return {};
  const std::span<const uint8_t> all = (*f)->InMemory();
  if (all.size() != it->size) return {};  // not in memory (or changed: ReadStored says so)
  return all.subspan(t.offset - it->start, t.byte_size);
}

Status Model::ReadStoredPart(const TensorLocation& t, uint64_t offset, std::span<uint8_t> out) const {
  if (offset > t.byte_size || out.size() > t.byte_size - offset) {
    return Internal("ReadStoredPart: range outside the weight's bytes");
  }
  return ReadGroup(t.group, t.offset + offset, out);
}

Status Model::DecodeFloat32(const TensorLocation& t, std::vector<float>* out) const {
  const WeightEntry& e = entry(t);
  if (e.dtype != DType::kFloat32) {
    return InvalidArgument("weight " + Quoted(e.name) + " is " + std::string(DTypeName(e.dtype)) + ", not float32");
  }
  std::vector<uint8_t> stored;
  TFQ_RETURN_IF_ERROR(ReadStored(t, &stored));
  out->resize(e.num_elements);
  const auto& q = e.quantization;
  DecodeToFloat32(e.encoding(), stored.data(), e.num_elements, q ? q->min : 0, q ? q->scale : 1, out->data());
  return Status::Ok();
}

}  // namespace tfq
