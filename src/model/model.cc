// SPDX-License-Identifier: Apache-2.0
// Opening a model: shards are opened, their sizes summed per group and
// compared with the manifest before any tensor is read (spec 1.4, 1.5).
#include "tfjs_quant/model.h"

#include <algorithm>
#include <cstring>

#include "tfjs_quant/quantize.h"

namespace tfq {

Model::~Model() = default;

Result<Model> Model::Open(FileSource& source, std::string_view json_name) {
  TFQ_ASSIGN_OR_RETURN(std::string text, ReadAll(source, json_name));
  return FromText(source, std::move(text), json_name);
}

Result<Model> Model::FromText(FileSource& source, std::string json_text, std::string_view json_name) {
  Model m;
  TFQ_ASSIGN_OR_RETURN(m.file_, ParseModelFile(std::move(json_text), json_name));
  TFQ_RETURN_IF_ERROR(m.Layout(source));
  return m;
}

uint64_t Model::total_bytes() const {
  uint64_t n = 0;
  for (const auto& g : groups_) n += g.size;
  return n;
}

static std::string Bytes(uint64_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

Status Model::Layout(FileSource& source) {
  const std::string& fname = file_.file_name;
  const std::string prefix = file_.kind == ModelKind::kModelJson ? "weightsManifest" : "";
  for (size_t g = 0; g < file_.groups.size(); ++g) {
    const WeightGroup& group = file_.groups[g];
    GroupData gd;
    for (size_t p = 0; p < group.paths.size(); ++p) {
      TFQ_ASSIGN_OR_RETURN(std::string rel, CheckRelativePath(group.paths[p]));
      auto f = source.Open(rel);
      if (!f.ok()) {
        return Status(f.status().code(), fname + ": " + prefix + "[" + std::to_string(g) + "].paths[" +
                                             std::to_string(p) + "]: shard '" + group.paths[p] +
                                             "' cannot be read: " + f.status().message());
      }
      Shard s;
      s.path = group.paths[p];
      s.file = std::move(f).value();
      s.start = gd.size;
      s.size = s.file->Size();
      gd.size += s.size;
      gd.shards.push_back(std::move(s));
    }
    groups_.push_back(std::move(gd));
    // Lay the entries out back to back; strings are sized by walking their
    // uint32 length prefixes, as tfjs's getWeightBytelength does.
    uint64_t offset = 0;
    const uint64_t have = groups_[g].size;
    for (size_t i = 0; i < group.weights.size(); ++i) {
      const WeightEntry& e = group.weights[i];
      bool variable = false;
      uint64_t size = e.FixedByteSize(&variable);
      if (variable) {
        size = 0;
        for (uint64_t k = 0; k < e.num_elements; ++k) {
          uint8_t len[4];
          if (offset + size + 4 > have) {
            size = have + 1 - offset;  // reported as short below
            break;
          }
          TFQ_RETURN_IF_ERROR(ReadGroup(g, offset + size, len));
          size += 4 + (uint64_t{len[0]} | uint64_t{len[1]} << 8 | uint64_t{len[2]} << 16 | uint64_t{len[3]} << 24);
        }
      }
      if (offset + size > have) {
        std::string paths;
        for (const auto& s : groups_[g].shards) paths += (paths.empty() ? "" : ", ") + s.path;
        return FormatError(fname + ": " + prefix + "[" + std::to_string(g) + "]: the shards (" +
                           (paths.empty() ? "none" : paths) + ") hold " + Bytes(have) + " but weight '" + e.name +
                           "' (" + e.location + ") needs bytes " + std::to_string(offset) + " to " +
                           std::to_string(offset + size) + ": a shard is missing or short");
      }
      tensors_.push_back({g, i, offset, size});
      offset += size;
    }
    if (offset != have) {
      return FormatError(fname + ": " + prefix + "[" + std::to_string(g) + "]: the manifest describes " +
                         Bytes(offset) + " of weights but the shards hold " + Bytes(have) + " (" +
                         Bytes(have - offset) + " too many): a shard is too long or belongs to another model");
    }
  }
  return Status::Ok();
}

Status Model::ReadGroup(size_t group, uint64_t offset, std::span<uint8_t> dst) const {
  const GroupData& gd = groups_[group];
  // First shard whose end lies past offset.
  auto it = std::upper_bound(gd.shards.begin(), gd.shards.end(), offset,
                             [](uint64_t off, const Shard& s) { return off < s.start + s.size; });
  size_t done = 0;
  while (done < dst.size()) {
    if (it == gd.shards.end()) return IOError("read past the end of group " + std::to_string(group));
    uint64_t local = offset + done - it->start;
    size_t n = static_cast<size_t>(std::min<uint64_t>(dst.size() - done, it->size - local));
    Status s = it->file->ReadAt(local, dst.subspan(done, n));
    if (!s.ok()) return s.Prefixed(it->path);
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
  if (out.size() != t.byte_size) return InvalidArgument("ReadStored: buffer size does not match the weight's bytes");
  return ReadGroup(t.group, t.offset, out);
}

Status Model::ReadStoredPart(const TensorLocation& t, uint64_t offset, std::span<uint8_t> out) const {
  if (offset > t.byte_size || out.size() > t.byte_size - offset) {
    return InvalidArgument("ReadStoredPart: range outside the weight's bytes");
  }
  return ReadGroup(t.group, t.offset + offset, out);
}

Status Model::DecodeFloat32(const TensorLocation& t, std::vector<float>* out) const {
  const WeightEntry& e = entry(t);
  if (e.dtype != DType::kFloat32) {
    return InvalidArgument("weight '" + e.name + "' is " + std::string(DTypeName(e.dtype)) + ", not float32");
  }
  std::vector<uint8_t> stored;
  TFQ_RETURN_IF_ERROR(ReadStored(t, &stored));
  out->resize(e.num_elements);
  const auto& q = e.quantization;
  DecodeToFloat32(e.encoding(), stored.data(), e.num_elements, q ? q->min : 0, q ? q->scale : 1, out->data());
  return Status::Ok();
}

}  // namespace tfq
