// SPDX-License-Identifier: Apache-2.0
// WriteModel: streams every tensor through TransformTensor into per-group
// ShardWriters, then writes the JSON with the new manifest spliced in.
#include <algorithm>
#include <thread>

#include "json/json.h"
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
  return "weight '" + name + "' holds " + counts + " value" + (nan + inf == 1 ? "" : "s") + "; not quantized to " +
         std::string(TargetName(target)) + ", kept as stored";
}

}  // namespace

Result<WriteReport> WriteModel(const Model& model, std::span<const Target> plan, const WriteOptions& options,
                               FileSink& sink) {
  if (options.shard_size_bytes == 0) return InvalidArgument("the shard size must be a positive number of bytes");
  const auto& tensors = model.tensors();
  if (plan.size() != tensors.size()) {
    return InvalidArgument("the plan has " + std::to_string(plan.size()) + " targets for " +
                           std::to_string(tensors.size()) + " tensors");
  }
  const ModelFile& mf = model.file();
  WriteReport report;
  std::vector<WeightGroup> out_groups(mf.groups.size());

  // The last group holding any bytes owns the model's final shard. A tensor
  // is empty in every encoding or in none, so this is known up front.
  size_t last_nonempty = mf.groups.size();
  for (const auto& t : tensors)
    if (t.byte_size > 0) last_nonempty = t.group;

  std::vector<uint64_t> earlier_sizes;  // every shard written before the current group
  const uint64_t total = model.total_bytes();
  uint64_t done = 0;
  size_t ti = 0;
  // One scratch per thread: a batch of small consecutive tensors is
  // transformed in parallel (one tensor in flight per thread), then appended
  // in manifest order; a large tensor goes alone, split across the threads.
  const size_t slots = static_cast<size_t>(std::max(1, options.threads));
  std::vector<Transformed> scratch(slots);
  std::vector<Status> status(slots);
  for (size_t g = 0; g < mf.groups.size(); ++g) {
    ShardWriter shards(sink, g + 1, options.shard_size_bytes);
    while (ti < tensors.size() && tensors[ti].group == g) {
      size_t batch = 1;
      auto small = [&](size_t i) { return model.entry(tensors[i]).num_elements < kParallelMinElements; };
      if (slots > 1 && small(ti)) {
        while (batch < slots && ti + batch < tensors.size() && tensors[ti + batch].group == g && small(ti + batch))
          ++batch;
      }
      uint64_t batch_elements = 0;
      for (size_t k = 0; k < batch; ++k) batch_elements += model.entry(tensors[ti + k]).num_elements;
      // Tiny tensors cost less than starting a thread: those go one by one.
      if (batch_elements < (uint64_t{1} << 16)) batch = 1;
      if (batch == 1) {
        status[0] = TransformTensor(model, tensors[ti], plan[ti], options, &scratch[0]);
      } else {
        WriteOptions one = options;
        one.threads = 1;
        std::vector<std::thread> pool;
        for (size_t k = 1; k < batch; ++k)
          pool.emplace_back([&, k] { status[k] = TransformTensor(model, tensors[ti + k], plan[ti + k], one, &scratch[k]); });
        status[0] = TransformTensor(model, tensors[ti], plan[ti], one, &scratch[0]);
        for (auto& th : pool) th.join();
      }
      for (size_t k = 0; k < batch; ++k, ++ti) {
        TFQ_RETURN_IF_ERROR(status[k]);
        const Transformed& tr = scratch[k];
        const TensorLocation& t = tensors[ti];
        const WeightEntry& e = model.entry(t);
        TFQ_RETURN_IF_ERROR(shards.Append(tr.bytes));
        done += t.byte_size;
        if (options.progress) options.progress(done, total);
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
          report.warnings.push_back(NonFiniteWarning(e.name, tr.nan_count, tr.inf_count, plan[ti]));
        report.bytes_before += o.bytes_before;
        report.bytes_after += o.bytes_after;
        report.tensors.push_back(std::move(o));
        WeightEntry out = e;
        if (tr.changed) out.json = RewriteEntryJson(e, tr.quantization);
        out_groups[g].weights.push_back(std::move(out));
      }
    }
    // tfjs maps a byte offset to shard floor(offset / L) when every shard but
    // the last has length L; a longer final shard would read as zeros. Split
    // the model's final shard so that it is never longer than L.
    uint64_t max_last = 0;
    if (g == last_nonempty) {
      std::vector<uint64_t> all = earlier_sizes;
      all.insert(all.end(), shards.sizes().begin(), shards.sizes().end());
      if (!all.empty() && std::all_of(all.begin(), all.end(), [&](uint64_t s) { return s == all[0]; }) &&
          shards.pending() > all[0]) {
        max_last = all[0];
      }
    }
    TFQ_ASSIGN_OR_RETURN(auto names, shards.Finish(max_last));
    earlier_sizes.insert(earlier_sizes.end(), shards.sizes().begin(), shards.sizes().end());
    out_groups[g].paths = names;
    report.files.insert(report.files.end(), names.begin(), names.end());
  }

  std::string manifest = ManifestToJson(out_groups);
  std::string text = mf.text.substr(0, mf.manifest_begin) + manifest + mf.text.substr(mf.manifest_end);
  TFQ_RETURN_IF_ERROR(sink.WriteFile(mf.file_name, std::span<const uint8_t>(
                                                        reinterpret_cast<const uint8_t*>(text.data()), text.size())));
  report.files.push_back(mf.file_name);
  return report;
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
  out.entry_json = tr.changed ? RewriteEntryJson(model.entry(t), tr.quantization) : model.entry(t).json;
  return out;
}

}  // namespace tfq
