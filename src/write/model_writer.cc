// SPDX-License-Identifier: Apache-2.0
// WriteModel: streams every tensor through TransformTensor into per-group
// ShardWriters, then writes the JSON with the new manifest spliced in.
#include <algorithm>

#include "tfjs_quant/manifest.h"
#include "tfjs_quant/text.h"
#include "tfjs_quant/writer.h"
#include "write/parallel.h"
#include "write/shard_writer.h"
#include "write/transform.h"

namespace tfq {
namespace {

std::string NonFiniteWarning(const std::string& name, size_t nan, size_t inf, Target target) {
  std::string counts;
  if (nan) counts += std::to_string(nan) + " NaN";
  if (inf) counts += std::string(counts.empty() ? "" : " and ") + std::to_string(inf) + " Inf";
  return "weight " + Quoted(name) + " holds " + counts + " value" + (nan + inf == 1 ? "" : "s") + "; not quantized to " +
         std::string(TargetName(target)) + ", kept as stored";
}

// The bytes a tensor will have under `target` (exact but for a tensor
// that NaN/Inf keeps as stored).
uint64_t PlannedBytes(const WeightEntry& e, const TensorLocation& t, Target target) {
  switch (target) {
    case Target::kKeep: return t.byte_size;
    case Target::kRaw: return e.quantization ? e.num_elements * DTypeElementBytes(e.dtype) : t.byte_size;
    case Target::kUint8:
    case Target::kUint16:
    case Target::kFloat16:
      if (e.dtype != DType::kFloat32 || (e.num_elements == 0 && target != Target::kFloat16)) return t.byte_size;
      return e.num_elements * (target == Target::kUint8 ? 1 : 2);
  }
  return t.byte_size;
}

class Writer {
 public:
  Writer(const Model& model, std::span<const Target> plan, const WriteOptions& options, FileSink& sink)
      : model_(model), tensors_(model.tensors()), plan_(plan), options_(options), sink_(sink),
        slots_(static_cast<size_t>(Concurrency(options.executor))), scratch_(slots_), status_(slots_),
        files_left_(model.limits().shards) {}

  Result<WriteReport> Run();

 private:
  Status CheckShardCount() const;
  size_t NextBatch(size_t g) const;
  Status TransformBatch(size_t batch);
  void Record(size_t k, size_t g);
  Status FinishGroup(size_t g, ShardWriter& shards);

  const Model& model_;
  const std::vector<TensorLocation>& tensors_;
  std::span<const Target> plan_;
  const WriteOptions& options_;
  FileSink& sink_;
  const size_t slots_;
  // One scratch per slot: a batch of small consecutive tensors is
  // transformed in parallel (one tensor per task), then appended in
  // manifest order; a large tensor goes alone, split across the executor.
  std::vector<Transformed> scratch_;
  std::vector<Status> status_;
  uint64_t files_left_;
  WriteReport report_;
  std::vector<WeightGroup> out_groups_;
  std::vector<uint64_t> earlier_sizes_;  // every shard written before the current group
  size_t ti_ = 0;                        // the next tensor
  uint64_t done_ = 0;
  size_t last_nonempty_ = 0;
};

// Refuses before writing anything when the plan's sizes alone already need
// more shard files than the limit (a shard size of 1 byte on a real model).
Status Writer::CheckShardCount() const {
  const uint64_t size = options_.shard_size_bytes;
  std::vector<uint64_t> bytes(model_.file().groups.size(), 0);
  for (size_t i = 0; i < tensors_.size(); ++i) {
    bytes[tensors_[i].group] += PlannedBytes(model_.entry(tensors_[i]), tensors_[i], plan_[i]);
  }
  uint64_t files = 0;
  for (uint64_t b : bytes) files += b / size + (b % size != 0);
  if (files > model_.limits().shards) {
    return LimitExceeded("the output would need " + std::to_string(files) + " shard files of at most " + Bytes(size) +
                         ", more than " + LimitText("shards", model_.limits().shards) +
                         " allows; choose a larger shard size", "shards");
  }
  return Status::Ok();
}

// How many tensors from ti_ on to transform together.
size_t Writer::NextBatch(size_t g) const {
  auto small = [&](size_t i) { return model_.entry(tensors_[i]).num_elements < kParallelMinElements; };
  size_t batch = 1;
  if (slots_ > 1 && small(ti_)) {
    while (batch < slots_ && ti_ + batch < tensors_.size() && tensors_[ti_ + batch].group == g && small(ti_ + batch))
      ++batch;
  }
  uint64_t elements = 0;
  for (size_t k = 0; k < batch; ++k) elements += model_.entry(tensors_[ti_ + k]).num_elements;
  // Tiny tensors cost less than a task: those go one by one.
  return elements < (uint64_t{1} << 16) ? 1 : batch;
}

Status Writer::TransformBatch(size_t batch) {
  if (batch == 1) return TransformTensor(model_, tensors_[ti_], plan_[ti_], options_, &scratch_[0]);
  WriteOptions one = options_;
  one.executor = nullptr;
  options_.executor->ForEach(batch, [&](size_t k) {
    status_[k] = TransformTensor(model_, tensors_[ti_ + k], plan_[ti_ + k], one, &scratch_[k]);
  });
  for (size_t k = 0; k < batch; ++k) TFQ_RETURN_IF_ERROR(status_[k]);
  return Status::Ok();
}

// Adds tensor ti_ (transformed into scratch_[k]) to the report and the new
// manifest.
void Writer::Record(size_t k, size_t g) {
  const Transformed& tr = scratch_[k];
  const TensorLocation& t = tensors_[ti_];
  const WeightEntry& e = model_.entry(t);
  TensorOutcome o;
  o.name = e.name;
  o.before = e.encoding();
  o.changed = tr.changed;
  o.after = tr.changed ? (tr.quantization ? tr.quantization->dtype : Encoding::kRaw) : e.encoding();
  o.bytes_before = t.byte_size;
  o.bytes_after = tr.bytes.size();
  o.nan_count = tr.nan_count;
  o.inf_count = tr.inf_count;
  if (tr.nan_count || tr.inf_count)
    report_.warnings.push_back(NonFiniteWarning(e.name, tr.nan_count, tr.inf_count, plan_[ti_]));
  report_.bytes_before += o.bytes_before;
  report_.bytes_after += o.bytes_after;
  report_.tensors.push_back(std::move(o));
  out_groups_[g].weights.push_back(TransformedEntry(e, tr));
}

Status Writer::FinishGroup(size_t g, ShardWriter& shards) {
  // tfjs maps a byte offset to shard floor(offset / L) when every shard but
  // the last has length L; a longer final shard would read as zeros. Split
  // the model's final shard so that it is never longer than L.
  uint64_t max_last = 0;
  if (g == last_nonempty_) {
    std::vector<uint64_t> all = earlier_sizes_;
    all.insert(all.end(), shards.sizes().begin(), shards.sizes().end());
    if (!all.empty() && std::all_of(all.begin(), all.end(), [&](uint64_t s) { return s == all[0]; }) &&
        shards.pending() > all[0]) {
      max_last = all[0];
    }
  }
  TFQ_ASSIGN_OR_RETURN(auto names, shards.Finish(max_last));
  earlier_sizes_.insert(earlier_sizes_.end(), shards.sizes().begin(), shards.sizes().end());
  out_groups_[g].paths = names;
  report_.files.insert(report_.files.end(), names.begin(), names.end());
  return Status::Ok();
}

Result<WriteReport> Writer::Run() {
  if (options_.shard_size_bytes == 0) return InvalidArgument("the shard size must be a positive number of bytes");
  if (plan_.size() != tensors_.size()) {
    return InvalidArgument("the plan has " + std::to_string(plan_.size()) + " targets for " +
                           std::to_string(tensors_.size()) + " tensors");
  }
  TFQ_RETURN_IF_ERROR(CheckShardCount());
  if (!options_.shard_stem.empty()) {
    // The longest name this stem makes; what the reader would refuse, the
    // writer does not write.
    Status s = CheckOutputFileName(options_.shard_stem + "-group" + std::to_string(model_.file().groups.size()) +
                                   "-shard" + std::to_string(model_.limits().shards));
    if (!s.ok()) return InvalidArgument("the shard name stem " + Quoted(options_.shard_stem) + ": " + s.message());
  }
  const ModelFile& mf = model_.file();
  out_groups_.resize(mf.groups.size());
  // The last group holding any bytes owns the model's final shard. A tensor
  // is empty in every encoding or in none, so this is known up front.
  last_nonempty_ = mf.groups.size();
  for (const auto& t : tensors_)
    if (t.byte_size > 0) last_nonempty_ = t.group;
  const uint64_t total = model_.total_bytes();
  for (size_t g = 0; g < mf.groups.size(); ++g) {
    ShardWriter shards(sink_, options_.shard_stem, g + 1, options_.shard_size_bytes, &files_left_, model_.limits().shards);
    while (ti_ < tensors_.size() && tensors_[ti_].group == g) {
      const size_t batch = NextBatch(g);
      TFQ_RETURN_IF_ERROR(TransformBatch(batch));
      for (size_t k = 0; k < batch; ++k, ++ti_) {
        TFQ_RETURN_IF_ERROR(shards.Append(scratch_[k].bytes));
        done_ += tensors_[ti_].byte_size;
        if (options_.progress) options_.progress(done_, total);
        Record(k, g);
      }
    }
    TFQ_RETURN_IF_ERROR(FinishGroup(g, shards));
  }
  std::string text = mf.text.substr(0, mf.manifest_begin) + ManifestToJson(out_groups_) + mf.text.substr(mf.manifest_end);
  TFQ_RETURN_IF_ERROR(
      sink_.WriteFile(mf.file_name, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size())));
  report_.files.push_back(mf.file_name);
  return std::move(report_);
}

}  // namespace

Result<WriteReport> WriteModel(const Model& model, std::span<const Target> plan, const WriteOptions& options,
                               FileSink& sink) {
  return Writer(model, plan, options, sink).Run();
}

Result<EncodedTensor> EncodeTensor(const Model& model, size_t tensor_index, Target target,
                                   const WriteOptions& options) {
  if (tensor_index >= model.tensors().size()) return InvalidArgument("no tensor #" + std::to_string(tensor_index));
  const TensorLocation& t = model.tensors()[tensor_index];
  Transformed tr;
  TFQ_RETURN_IF_ERROR(TransformTensor(model, t, target, options, &tr));
  EncodedTensor out;
  out.bytes.assign(tr.bytes.begin(), tr.bytes.end());
  out.changed = tr.changed;
  out.entry = TransformedEntry(model.entry(t), tr);
  return out;
}

}  // namespace tfq
