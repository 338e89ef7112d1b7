// SPDX-License-Identifier: Apache-2.0
// `auto` for JavaScript: a SearchSession whose measurements come from the
// caller's tfjs (evaluator/lib/evaluator.mjs, in the same JavaScript
// process), one call per step, since an evaluation is asynchronous and a
// WebAssembly call cannot wait for it. The model's bytes stay here between
// calls, owned by the session; candidate weights go back as bytes in memory.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "tfjs_quant/evaluation.h"
#include "tfjs_quant/search.h"
#include "wasm/api.h"

namespace tfq::wasm {
namespace {

struct Session {
  Files files;  // the model's bytes, read in place by `source`
  SpanFiles source;
  std::optional<Model> model;
  std::vector<SearchTensor> tensors;
  std::vector<std::string> outputs;  // the evaluator's guarded outputs
  int num_inputs = 0;
  SearchProgress progress;
  Budget budget;
  std::optional<SearchSession> search;
  std::optional<CandidateCache> candidates;
  bool done = false;
  // The request handed out and not yet answered, kept to hand out again
  // as it was (its weights are marked sent once prepared).
  std::optional<std::string> handed_text;
  std::vector<uint8_t> handed_weights;
};

// Sessions by id; JavaScript closes each (js/src/auto.js does in `finally`).
std::map<int64_t, std::unique_ptr<Session>>& Sessions() {
  static std::map<int64_t, std::unique_ptr<Session>> sessions;
  return sessions;
}
int64_t next_id = 1;

Result<Session*> Find(const Json& request) {
  auto it = request.find("session");
  if (it == request.end() || !it->is_number_integer()) return BadOption("session", "the id searchOpen returned", it == request.end() ? Json() : *it);
  auto s = Sessions().find(it->get<int64_t>());
  if (s == Sessions().end()) return InvalidArgument("search session " + std::to_string(it->get<int64_t>()) + " is not open");
  return s->second.get();
}

Json Number(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json MetricsJson(const Metrics& m) {
  return {{"sqnr_db", Number(m.sqnr_db)}, {"cosine", Number(m.cosine)}, {"max_abs", Number(m.max_abs)},
          {"top1", Number(m.top1)}, {"non_finite", m.non_finite}};
}

// `inputs`: those the measurement was asked on (empty: every input).
Result<Measurement> MeasurementOf(const Session& s, const Json& request, std::span<const int> inputs) {
  auto it = request.find("measurement");
  if (it == request.end() || !it->is_object()) {
    return BadOption("measurement", "the evaluator's reply to the last request", it == request.end() ? Json() : *it);
  }
  return ParseMeasurement(it->dump(), s.num_inputs, s.outputs, inputs);
}

Json ResultJson(const Session& s) {
  const SearchResult& r = s.search->result();
  Json tensors = Json::array();
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    const TensorChoice& c = r.choices[i];
    const Target t = r.plan[i];
    tensors.push_back({{"name", s.tensors[i].name},
                       {"target", t == Target::kKeep ? "keep" : t == Target::kRaw ? "float32" : std::string(TargetName(t))},
                       {"why", c.why},
                       {"group_size", c.group_size},
                       {"alone_uint8_db", c.alone_db ? Number(*c.alone_db) : Json(nullptr)}});
  }
  return {{"tensors", std::move(tensors)},
          {"sizes", {{"float32", PlanBytes(s.tensors, UniformPlan(s.tensors, Target::kRaw))},
                     {"all_float16", PlanBytes(s.tensors, UniformPlan(s.tensors, Target::kFloat16))},
                     {"all_uint8", PlanBytes(s.tensors, UniformPlan(s.tensors, Target::kUint8))},
                     {"chosen", PlanBytes(s.tensors, r.plan)}}},
          {"metrics", {{"all_uint8", MetricsJson(r.all_uint8)}, {"search_verified", MetricsJson(r.verified)}}},
          {"all_uint8_holds", r.all_uint8_holds},
          {"evaluations", r.evaluations},
          {"inferences", r.inferences}};
}

}  // namespace

Status SearchOpen(const Json& request, Files& in, Output* out) {
  TFQ_RETURN_IF_ERROR(CheckMembers(request, "searchOpen",
                                   {"command", "json", "budget", "screenInputs", "numInputs", "outputs", "limits"}));
  TFQ_ASSIGN_OR_RETURN(Limits limits, ToLimits(request));
  auto budget_text = request.find("budget");
  if (budget_text == request.end() || !budget_text->is_string()) {
    return BadOption("budget", "a budget such as \"sqnr>=30\"", budget_text == request.end() ? Json() : *budget_text);
  }
  TFQ_ASSIGN_OR_RETURN(Budget budget, ParseBudget(budget_text->get<std::string>()));
  if (budget.uses_score()) {
    return InvalidArgument("budget " + Quoted(budget.text) + " bounds 'score', the number an evaluator of your own "
                           "prints; tfjs measures sqnr, cosine, maxabs and top1");
  }
  auto s = std::make_unique<Session>();
  SearchOptions options;
  s->budget = budget;
  options.budget = std::move(budget);
  if (auto it = request.find("screenInputs"); it != request.end()) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() > 1000) return BadOption("screenInputs", "0 to 1000", *it);
    options.screen_inputs = it->get<int>();
  }
  auto n = request.find("numInputs");
  if (n == request.end() || !n->is_number_unsigned() || n->get<uint64_t>() < 1 || n->get<uint64_t>() > 100000) {
    return BadOption("numInputs", "the evaluator's count of inputs (1 to 100000)", n == request.end() ? Json() : *n);
  }
  s->num_inputs = n->get<int>();
  auto outs = request.find("outputs");
  if (outs == request.end() || !outs->is_array() || outs->empty()) {
    return BadOption("outputs", "the evaluator's guarded output names", outs == request.end() ? Json() : *outs);
  }
  for (const Json& o : *outs) {
    if (!o.is_string()) return BadOption("outputs", "an array of names", o);
    s->outputs.push_back(o.get<std::string>());
  }
  // The files move into the session: JavaScript frees the emptied list.
  s->files.added = std::move(in.added);
  std::vector<std::string> json_names;
  TFQ_RETURN_IF_ERROR(OpenFiles(s->files, "", &s->source, &json_names));
  TFQ_ASSIGN_OR_RETURN(std::string json_name, ModelJsonName(request, "json", json_names, "the files given"));
  TFQ_ASSIGN_OR_RETURN(Model model, Model::Open(s->source, json_name, limits));
  s->model.emplace(std::move(model));
  TFQ_ASSIGN_OR_RETURN(s->tensors, SearchTensors(*s->model));
  Session* raw = s.get();
  options.progress = [raw](const SearchProgress& p) { raw->progress = p; };
  s->search.emplace(s->tensors, std::move(options), s->num_inputs);
  s->candidates.emplace(*s->model);
  const int64_t id = next_id++;
  Sessions().emplace(id, std::move(s));
  out->text = Json{{"session", id}, {"tensors", raw->tensors.size()}}.dump();
  return Status::Ok();
}

Status SearchNext(const Json& request, Output* out) {
  TFQ_RETURN_IF_ERROR(CheckMembers(request, "searchNext", {"command", "session", "measurement", "step"}));
  TFQ_ASSIGN_OR_RETURN(Session * s, Find(request));
  if (s->done) return InvalidArgument("the search is done: write its model (searchWrite) or close it");
  if (auto it = request.find("measurement"); it != request.end() && !it->is_null()) {
    // The step it answers, so that a retried call cannot answer a request
    // its caller never saw.
    auto step = request.find("step");
    const int want = s->search->measurements();
    if (!s->handed_text || step == request.end() || !step->is_number_integer() || step->get<int64_t>() != want) {
      return InvalidArgument("the measurement must answer step " + std::to_string(want) +
                             ", the request handed out last (give its \"step\")");
    }
    TFQ_ASSIGN_OR_RETURN(Measurement m, MeasurementOf(*s, request, s->search->pending()->inputs));
    TFQ_RETURN_IF_ERROR(s->search->Give(std::move(m)));
    s->handed_text.reset();
    s->handed_weights.clear();
  }
  if (!s->handed_text) {
    TFQ_ASSIGN_OR_RETURN(std::optional<MeasureRequest> next, s->search->Next());
    if (!next) {
      s->done = true;
      out->text = Json{{"done", true}, {"result", ResultJson(*s)}}.dump(-1, ' ', false, Json::error_handler_t::replace);
      return Status::Ok();
    }
    TFQ_ASSIGN_OR_RETURN(CandidateBatch batch, s->candidates->Prepare(next->plan));
    const Json inputs = next->inputs.empty() ? Json(nullptr) : Json(next->inputs);
    const Json progress = {{"evaluations", s->search->measurements()},
                           {"estimatedTotal", std::max(s->progress.estimated_total, s->search->measurements() + 1)},
                           {"phase", s->progress.phase}};
    // The entries are the writer's own JSON text, spliced in as they are.
    s->handed_text = "{\"step\": " + std::to_string(s->search->measurements()) + ", \"request\": {\"entries\": " +
                     batch.entries_json() + ", \"assign\": " + batch.assign_json() + ", \"inputs\": " + inputs.dump() +
                     "}, \"progress\": " + progress.dump() + "}";
    s->handed_weights = std::move(batch.bytes);
  }
  out->text = *s->handed_text;
  out->files.files["weights.bin"] = s->handed_weights;
  out->order = {"weights.bin"};
  return Status::Ok();
}

Status SearchWrite(const Json& request, Output* out) {
  TFQ_RETURN_IF_ERROR(CheckMembers(request, "searchWrite", {"command", "session", "shardSizeBytes"}));
  TFQ_ASSIGN_OR_RETURN(Session * s, Find(request));
  if (!s->done) return InvalidArgument("the search is not done yet: call searchNext until it is");
  TFQ_ASSIGN_OR_RETURN(WriteOptions options, ToWriteOptions(request));
  TFQ_ASSIGN_OR_RETURN(WriteReport written, WriteModel(*s->model, s->search->result().plan, options, out->files));
  out->order = written.files;
  out->text = ReportJson(written).dump(-1, ' ', false, Json::error_handler_t::replace);
  return Status::Ok();
}

// The written model, measured afresh by the caller: its metrics, held to
// the budget (the final, independent check the CLI makes too).
Status SearchCheck(const Json& request, Output* out) {
  TFQ_RETURN_IF_ERROR(CheckMembers(request, "searchCheck", {"command", "session", "measurement"}));
  TFQ_ASSIGN_OR_RETURN(Session * s, Find(request));
  TFQ_ASSIGN_OR_RETURN(Measurement m, MeasurementOf(*s, request, {}));
  const Metrics metrics = Summarize(m);
  out->text = Json{{"metrics", MetricsJson(metrics)},
                   {"holds", Holds(s->budget, metrics)},
                   {"described", DescribeMetrics(s->budget, metrics)}}
                  .dump(-1, ' ', false, Json::error_handler_t::replace);
  return Status::Ok();
}

Status SearchClose(const Json& request, Output* out) {
  TFQ_RETURN_IF_ERROR(CheckMembers(request, "searchClose", {"command", "session"}));
  TFQ_ASSIGN_OR_RETURN(Session * s, Find(request));
  (void)s;
  Sessions().erase(request["session"].get<int64_t>());
  out->text = "{}";
  return Status::Ok();
}

}  // namespace tfq::wasm
