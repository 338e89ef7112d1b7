// SPDX-License-Identifier: Apache-2.0
// The Node evaluator's client: starts `node evaluator/bin/tfjs-quant-eval.mjs`
// once, loads the model and its reference outputs there, then per candidate
// sends only the tensors it has not seen yet (encoded exactly as the writer
// would store them; stock tfjs decodes them) and asks for an evaluation.
// Protocol: evaluator/README.md. Every reply is checked field by field: a
// reply that is not what the protocol says is an evaluator failure, never
// a default value.
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "evaluators.h"
#include "tfjs_quant/writer.h"

#ifndef TFJS_QUANT_SOURCE_DIR
#define TFJS_QUANT_SOURCE_DIR ""
#endif

namespace tfq::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kScript = "bin/tfjs-quant-eval.mjs";

std::string Key(const std::string& name, Target t) { return name + "@" + std::string(TargetName(t)); }

// Field access that cannot abort (nlohmann is built to abort, not throw).
const json* Field(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}
std::optional<double> Number(const json& j, const char* key) {
  const json* f = Field(j, key);
  if (!f || !f->is_number()) return std::nullopt;
  return f->get<double>();
}
std::string Text(const json& j, const char* key, const std::string& fallback) {
  const json* f = Field(j, key);
  return f && f->is_string() ? f->get<std::string>() : fallback;
}

std::string Shown(const std::string& line) { return Quoted(line, 200); }

}  // namespace

Result<fs::path> FindEvaluator(const std::string& flag) {
  std::vector<fs::path> candidates;
  std::error_code ec;
  if (!flag.empty()) {
    candidates.push_back(flag);
  } else {
    if (const char* env = std::getenv("TFJS_QUANT_EVALUATOR"); env && *env) candidates.push_back(env);
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share/tfjs-quant/evaluator");
    if (*TFJS_QUANT_SOURCE_DIR) candidates.push_back(fs::path(TFJS_QUANT_SOURCE_DIR) / "evaluator");
  }
  for (const auto& c : candidates) {
    if (!fs::exists(c / kScript, ec)) continue;
    if (!fs::exists(c / "node_modules/@tensorflow/tfjs-core/package.json", ec)) {
      return EvaluatorFailed("the TensorFlow.js evaluator at " + Printable(c.string()) +
                             " has no dependencies installed: run `npm ci --prefix " + Printable(c.string()) +
                             "` (scripts/setup.sh does this), or give your own evaluator with --eval-cmd");
    }
    return c;
  }
  std::string looked;
  for (const auto& c : candidates) looked += (looked.empty() ? "" : ", ") + Printable(c.string());
  return EvaluatorFailed("the TensorFlow.js evaluator package was not found (looked in: " + looked +
                         "); point --evaluator or TFJS_QUANT_EVALUATOR at the repository's evaluator/ folder, or give "
                         "your own evaluator with --eval-cmd");
}

Result<std::unique_ptr<NodeEvaluator>> NodeEvaluator::Start(const Model& model, const NodeOptions& o) {
  auto node = FindOnPath("node");
  if (!node) {
    return EvaluatorFailed("Node.js was not found on PATH: `auto` measures models in TensorFlow.js under Node.js 18 "
                           "or later; install it (Debian: apt-get install nodejs npm, or run scripts/setup.sh), or give "
                           "your own evaluator with --eval-cmd");
  }
  TFQ_ASSIGN_OR_RETURN(Child child, Child::Start({node->string(), (o.package / kScript).string()},
                                                 o.work_dir / "evaluator.log"));
  std::unique_ptr<NodeEvaluator> ev(new NodeEvaluator(model, std::move(child), o));
  ev->sent_.assign(model.tensors().size(), {});
  TFQ_RETURN_IF_ERROR(ev->ReadReady());
  TFQ_RETURN_IF_ERROR(ev->Load());
  return ev;
}

// The first line must be {"ready": true, ...}; {"ready": false, "error":
// ...} says why it could not start.
Status NodeEvaluator::ReadReady() {
  auto line = child_.ReadLine(options_.timeout);
  if (!line.ok()) return Failed("it did not start: " + line.status().message());
  const json r = json::parse(*line, nullptr, false);
  const json* ready = Field(r, "ready");
  if (!ready || !ready->is_boolean()) return Failed("it wrote " + Shown(*line) + " instead of its ready line");
  if (!ready->get<bool>()) return Failed("it could not start: " + Text(r, "error", "no reason given"));
  return Status::Ok();
}

Status NodeEvaluator::Load() {
  const auto& o = options_;
  json req = {{"cmd", "load"},
              {"model", fs::absolute(o.model_json).string()},
              {"count", o.count},
              {"seed", o.seed},
              {"dims", {{"default", o.default_dim}}},
              {"inputs_dir", o.inputs_dir.empty() ? json(nullptr) : json(fs::absolute(o.inputs_dir).string())},
              {"outputs", o.outputs.empty() ? json(nullptr) : json(o.outputs)}};
  for (const auto& [name, shape] : o.shapes) req["dims"][name] = shape;
  TFQ_ASSIGN_OR_RETURN(json r, Call(std::move(req)));
  const json* ins = Field(r, "inputs");
  const json* outs = Field(r, "outputs");
  const auto count = Number(r, "count");
  if (!count || !ins || !ins->is_array() || !outs || !outs->is_array()) {
    return Failed("its reply to 'load' lacks a count, inputs or outputs");
  }
  if (*count < 1 || *count > 100000) return Failed("it built " + std::to_string(*count) + " inputs");
  count_ = static_cast<int>(*count);
  kind = Text(r, "kind", "?");
  for (const auto& i : *ins) {
    std::string shape = "[";
    if (const json* s = Field(i, "shape"); s && s->is_array())
      for (const auto& d : *s) shape += (shape.size() > 1 ? "," : "") + d.dump();
    input_desc.push_back(Text(i, "name", "?") + " " + Text(i, "dtype", "?") + " " + shape + "]");
  }
  for (const auto& out : *outs) {
    const json* name = Field(out, "name");
    if (!name || !name->is_string()) return Failed("its reply to 'load' names an output without a name");
    outputs.push_back(name->get<std::string>());
  }
  if (outputs.empty()) return Failed("the model has no outputs to guard");
  return Status::Ok();
}

NodeEvaluator::~NodeEvaluator() {
  // A healthy evaluator gets to quit; a failed one is killed at once.
  if (!failed_ && child_.WriteLine(R"({"id":0,"cmd":"quit"})").ok()) child_.Stop();
  else child_.Stop(std::chrono::milliseconds(0));
}

Status NodeEvaluator::Failed(const std::string& what) {
  failed_ = true;
  std::string tail = FileTail(options_.work_dir / "evaluator.log", 12);
  return EvaluatorFailed("TensorFlow.js evaluator: " + what + (tail.empty() ? "" : "\nits last messages:\n" + tail));
}

Result<json> NodeEvaluator::Call(json req) {
  const int id = next_id_++;
  const std::string cmd = req["cmd"].get<std::string>();
  req["id"] = id;
  if (Status s = child_.WriteLine(req.dump(-1, ' ', false, json::error_handler_t::replace)); !s.ok()) {
    return Failed(s.message() + " before '" + cmd + "'");
  }
  for (;;) {
    auto line = child_.ReadLine(options_.timeout);
    if (!line.ok()) return Failed(line.status().message() + " during '" + cmd + "'");
    json r = json::parse(*line, nullptr, false);
    if (!r.is_object()) return Failed("it wrote a line that is not part of the protocol: " + Shown(*line));
    const auto rid = Number(r, "id");
    if (!rid || *rid != id) continue;  // a reply to an earlier request
    const json* ok = Field(r, "ok");
    if (!ok || !ok->is_boolean()) return Failed("its reply to '" + cmd + "' has no \"ok\": " + Shown(*line));
    if (!ok->get<bool>()) {
      const std::string err = Text(r, "error", "unknown error");
      // At load, a bad --outputs, --inputs or --dim is the user's to fix.
      if (cmd == "load") return InvalidArgument(Printable(err, 2000));
      return Failed("'" + cmd + "' failed: " + err);
    }
    return r;
  }
}

Result<Measurement> NodeEvaluator::ParseMeasurement(const json& reply) {
  Measurement m;
  m.inferences = static_cast<int64_t>(Number(reply, "inferences").value_or(0));
  const json* results = Field(reply, "results");
  if (!results || !results->is_array() || results->empty()) return Failed("an evaluation returned no results");
  for (const auto& x : *results) {
    Sample s;
    const auto input = Number(x, "input");
    const std::string out = Text(x, "output", "");
    if (!input || *input < 0 || *input >= count_) return Failed("a result names no valid input");
    s.input = static_cast<int>(*input);
    s.output = -1;
    for (size_t k = 0; k < outputs.size(); ++k)
      if (outputs[k] == out) s.output = static_cast<int>(k);
    if (s.output < 0) return Failed("a result names the output " + Quoted(out) + ", which it did not declare");
    // JSON has no NaN: an error sum that overflowed arrives as null.
    const auto err = Number(x, "err");
    s.err = err.value_or(0);
    s.non_finite = static_cast<int64_t>(Number(x, "nonfinite").value_or(0));
    if (!err) s.non_finite = std::max<int64_t>(s.non_finite, 1);
    const auto n = Number(x, "n"), sig = Number(x, "sig");
    if (!n || !sig) return Failed("a result lacks its value count or signal power");
    s.n = *n;
    s.sig = *sig;
    s.max_abs = Number(x, "maxabs").value_or(0);
    s.dot = Number(x, "dot").value_or(0);
    s.nout = Number(x, "nout").value_or(0);
    s.argmax_ref = static_cast<int64_t>(Number(x, "argmax_ref").value_or(0));
    s.argmax_out = static_cast<int64_t>(Number(x, "argmax_out").value_or(0));
    m.samples.push_back(s);
  }
  return m;
}

Result<Measurement> NodeEvaluator::Evaluate(std::span<const Target> plan, std::span<const int> inputs) {
  const auto& tensors = model_.tensors();
  json entries = json::array();
  std::string bytes;
  json assign = json::object();
  for (size_t i = 0; i < plan.size(); ++i) {
    if (plan[i] == Target::kKeep) continue;
    const WeightEntry& e = model_.entry(tensors[i]);
    const auto t = static_cast<size_t>(plan[i]);
    if (!sent_[i][t]) {
      TFQ_ASSIGN_OR_RETURN(EncodedTensor enc, EncodeTensor(model_, i, plan[i]));
      if (!enc.changed) continue;
      json entry = json::parse(EntryToJson(enc.entry), nullptr, false);
      entry["key"] = Key(e.name, plan[i]);
      entries.push_back(entry);
      bytes.append(reinterpret_cast<const char*>(enc.bytes.data()), enc.bytes.size());
      sent_[i][t] = true;
    }
    assign[e.name] = Key(e.name, plan[i]);
  }
  if (!entries.empty()) {
    fs::path file = options_.work_dir / ("weights-" + std::to_string(++files_) + ".bin");
    {
      std::ofstream f(file, std::ios::binary);
      f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!f) return IOError("cannot write " + Printable(file.string()));
    }
    auto r = Call(json{{"cmd", "weights"}, {"file", file.string()}, {"entries", std::move(entries)}});
    std::error_code ec;
    fs::remove(file, ec);
    if (!r.ok()) return r.status();
  }
  json req = {{"cmd", "eval"}, {"assign", assign}};
  req["inputs"] = inputs.empty() ? json(nullptr) : json(std::vector<int>(inputs.begin(), inputs.end()));
  TFQ_ASSIGN_OR_RETURN(json reply, Call(std::move(req)));
  return ParseMeasurement(reply);
}

Result<Measurement> NodeEvaluator::EvaluateModel(const fs::path& model_json) {
  TFQ_ASSIGN_OR_RETURN(json reply,
                       Call(json{{"cmd", "eval_model"}, {"model", fs::absolute(model_json).string()}, {"inputs", nullptr}}));
  return ParseMeasurement(reply);
}

}  // namespace tfq::cli
