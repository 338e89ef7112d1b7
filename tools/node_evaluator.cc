// SPDX-License-Identifier: Apache-2.0
// The Node evaluator's client: starts `node evaluator/bin/tfjs-quant-eval.mjs`
// once, loads the model and its reference outputs there, then per candidate
// sends only the tensors it has not seen yet (encoded exactly as the writer
// would store them; stock tfjs decodes them) and asks for an evaluation.
// Protocol: evaluator/README.md.
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

double Num(const json& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::string Tail(const fs::path& log) {
  std::ifstream f(log, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(f)), {});
  return LastLines(text, 12);
}

}  // namespace

Result<fs::path> FindEvaluator(const std::string& flag) {
  std::vector<fs::path> candidates;
  if (!flag.empty()) {
    candidates.push_back(flag);
  } else {
    if (const char* env = std::getenv("TFJS_QUANT_EVALUATOR"); env && *env) candidates.push_back(env);
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share/tfjs-quant/evaluator");
    if (*TFJS_QUANT_SOURCE_DIR) candidates.push_back(fs::path(TFJS_QUANT_SOURCE_DIR) / "evaluator");
  }
  for (const auto& c : candidates) {
    if (!fs::exists(c / kScript)) continue;
    if (!fs::exists(c / "node_modules/@tensorflow/tfjs-core/package.json")) {
      return NotFound("the TensorFlow.js evaluator at " + c.string() +
                      " has no dependencies installed: run `npm ci --prefix " + c.string() +
                      "` (scripts/setup.sh does this), or give your own evaluator with --eval-cmd");
    }
    return c;
  }
  std::string looked;
  for (const auto& c : candidates) looked += (looked.empty() ? "" : ", ") + c.string();
  return NotFound("the TensorFlow.js evaluator package was not found (looked in: " + looked +
                  "); point --evaluator or TFJS_QUANT_EVALUATOR at the repository's evaluator/ folder, or give "
                  "your own evaluator with --eval-cmd");
}

Result<std::unique_ptr<NodeEvaluator>> NodeEvaluator::Start(const Model& model, const NodeOptions& o) {
  auto node = FindOnPath("node");
  if (!node) {
    return NotFound("Node.js was not found on PATH: `auto` measures models in TensorFlow.js under Node.js 18 or "
                    "later; install it (Debian: apt-get install nodejs npm, or run scripts/setup.sh), or give "
                    "your own evaluator with --eval-cmd");
  }
  fs::path log = o.work_dir / "evaluator.log";
  TFQ_ASSIGN_OR_RETURN(Child child, Child::Start({node->string(), (o.package / kScript).string()}, log));
  std::unique_ptr<NodeEvaluator> ev(new NodeEvaluator(model, std::move(child), o));
  ev->sent_.assign(model.tensors().size(), {});
  auto ready = ev->child_.ReadLine();
  if (!ready.ok() || ready->find("\"ready\"") == std::string::npos) {
    return ev->Failed("the evaluator did not start (" + (ready.ok() ? *ready : ready.status().message()) + ")");
  }
  json req = {{"cmd", "load"},
              {"model", fs::absolute(o.model_json).string()},
              {"count", o.count},
              {"seed", o.seed},
              {"dims", {{"default", o.default_dim}}},
              {"inputs_dir", o.inputs_dir.empty() ? json(nullptr) : json(fs::absolute(o.inputs_dir).string())},
              {"outputs", o.outputs.empty() ? json(nullptr) : json(o.outputs)}};
  for (const auto& [name, shape] : o.shapes) req["dims"][name] = shape;
  TFQ_ASSIGN_OR_RETURN(std::string reply, ev->Call(std::move(req)));
  json r = json::parse(reply, nullptr, false);
  ev->kind = r.value("kind", "");
  ev->count_ = static_cast<int>(Num(r, "count"));
  ev->load_ms = Num(r, "ms");
  for (const auto& i : r.value("inputs", json::array())) {
    std::string shape = "[";
    for (const auto& d : i.value("shape", json::array())) shape += (shape.size() > 1 ? "," : "") + d.dump();
    ev->input_desc.push_back(i.value("name", "?") + " " + i.value("dtype", "?") + " " + shape + "]");
  }
  for (const auto& out : r.value("outputs", json::array())) ev->outputs.push_back(out.value("name", "?"));
  if (ev->count_ <= 0) return ev->Failed("the evaluator built no inputs");
  return ev;
}

NodeEvaluator::~NodeEvaluator() {
  if (child_.WriteLine(R"({"id":0,"cmd":"quit"})").ok()) child_.Stop();
}

Status NodeEvaluator::Failed(const std::string& what) {
  std::string tail = Tail(options_.work_dir / "evaluator.log");
  return IOError("TensorFlow.js evaluator: " + what + (tail.empty() ? "" : "\nits last messages:\n" + tail));
}

Result<std::string> NodeEvaluator::Call(json req) {
  const int id = next_id_++;
  req["id"] = id;
  if (Status s = child_.WriteLine(req.dump()); !s.ok()) return Failed(s.message());
  for (;;) {
    auto line = child_.ReadLine();
    if (!line.ok()) return Failed("it exited during '" + req.value("cmd", "?") + "'");
    json r = json::parse(*line, nullptr, false);
    if (r.is_discarded() || !r.is_object()) continue;  // not a protocol line
    if (r.value("id", -1) != id) continue;
    if (!r.value("ok", false)) {
      std::string err = r.value("error", "unknown error");
      // At load, a bad --outputs, --inputs or --dim is the user's to fix.
      if (req.value("cmd", "") == "load") return InvalidArgument(err);
      return Failed(req.value("cmd", "?") + " failed: " + err);
    }
    return *line;
  }
}

Result<Measurement> NodeEvaluator::ParseMeasurement(const std::string& reply) {
  json r = json::parse(reply, nullptr, false);
  Measurement m;
  m.inferences = static_cast<int64_t>(Num(r, "inferences"));
  for (const auto& x : r.value("results", json::array())) {
    Sample s;
    s.input = static_cast<int>(Num(x, "input"));
    std::string out = x.value("output", "");
    s.output = 0;
    for (size_t k = 0; k < outputs.size(); ++k)
      if (outputs[k] == out) s.output = static_cast<int>(k);
    s.n = Num(x, "n");
    s.sig = Num(x, "sig");
    s.err = Num(x, "err");
    s.max_abs = Num(x, "maxabs");
    s.dot = Num(x, "dot");
    s.nout = Num(x, "nout");
    s.argmax_ref = static_cast<int64_t>(Num(x, "argmax_ref"));
    s.argmax_out = static_cast<int64_t>(Num(x, "argmax_out"));
    s.non_finite = static_cast<int64_t>(Num(x, "nonfinite"));
    // JSON has no NaN: an error sum that overflowed arrives as null.
    if (!x.contains("err") || !x["err"].is_number()) s.non_finite = std::max<int64_t>(s.non_finite, 1);
    m.samples.push_back(s);
  }
  if (m.samples.empty()) return Failed("an evaluation returned no results");
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
      json entry = json::parse(enc.entry_json, nullptr, false);
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
      if (!f) return IOError("cannot write " + file.string());
    }
    auto r = Call(json{{"cmd", "weights"}, {"file", file.string()}, {"entries", std::move(entries)}});
    std::error_code ec;
    fs::remove(file, ec);
    if (!r.ok()) return r.status();
  }
  json req = {{"cmd", "eval"}, {"assign", assign}};
  req["inputs"] = inputs.empty() ? json(nullptr) : json(std::vector<int>(inputs.begin(), inputs.end()));
  TFQ_ASSIGN_OR_RETURN(std::string reply, Call(std::move(req)));
  return ParseMeasurement(reply);
}

Result<Measurement> NodeEvaluator::EvaluateModel(const fs::path& model_json) {
  TFQ_ASSIGN_OR_RETURN(std::string reply,
                       Call(json{{"cmd", "eval_model"}, {"model", fs::absolute(model_json).string()}, {"inputs", nullptr}}));
  return ParseMeasurement(reply);
}

}  // namespace tfq::cli
