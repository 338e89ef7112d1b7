// SPDX-License-Identifier: Apache-2.0
// The Node evaluator's client: starts `node evaluator/bin/tfjs-quant-eval.mjs`
// once, loads the model and its reference outputs there, then per candidate
// sends only the tensors it has not seen yet (encoded exactly as the writer
// would store them; stock tfjs decodes them) and asks for an evaluation.
// Protocol: evaluator/README.md. Every reply is checked field by field: a
// reply that is not what the protocol says is an evaluator failure, never
// a default value.
#include <unistd.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "evaluators.h"

#ifndef TFJS_QUANT_SOURCE_DIR
#define TFJS_QUANT_SOURCE_DIR ""
#endif

namespace tfq::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kScript = "bin/tfjs-quant-eval.mjs";
// Protocol replies nest a few levels; anything deeper is not one (and would
// cost a DOM of its depth).
constexpr int kMaxReplyDepth = 32;

std::string Base64(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = uint32_t{bytes[i]} << 16 | uint32_t{bytes[i + 1]} << 8 | bytes[i + 2];
    for (int shift : {18, 12, 6, 0}) out += kDigits[(v >> shift) & 63];
  }
  if (const size_t rest = bytes.size() - i; rest) {
    const uint32_t v = uint32_t{bytes[i]} << 16 | (rest == 2 ? uint32_t{bytes[i + 1]} << 8 : 0);
    out += kDigits[v >> 18 & 63];
    out += kDigits[v >> 12 & 63];
    out += rest == 2 ? kDigits[v >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

// Field access that never throws or aborts, whatever the reply holds.
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
// An integer-valued number in [0, max], safe to cast.
std::optional<int64_t> Count(const json& j, const char* key, int64_t max) {
  const auto v = Number(j, key);
  if (!v || !(*v >= 0 && *v <= static_cast<double>(max)) || *v != std::floor(*v)) return std::nullopt;
  return static_cast<int64_t>(*v);
}
std::string Text(const json& j, const char* key, const std::string& fallback) {
  const json* f = Field(j, key);
  return f && f->is_string() ? f->get<std::string>() : fallback;
}

// Arrays and objects nested deeper than `max` in a line (outside strings).
bool TooDeep(const std::string& line, int max) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

// A protocol line as JSON; discarded if it is not JSON or nests too deep.
json ParseLine(const std::string& line) {
  if (TooDeep(line, kMaxReplyDepth)) return json::value_t::discarded;
  return json::parse(line, nullptr, false);
}

std::string QuotedLine(const std::string& line) { return Quoted(line, 200); }

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
  TFQ_ASSIGN_OR_RETURN(Child child, Child::Start({node->string(), (o.package / kScript).string()}));
  std::unique_ptr<NodeEvaluator> ev(new NodeEvaluator(model, std::move(child), o));
  TFQ_RETURN_IF_ERROR(ev->ReadReady());
  TFQ_RETURN_IF_ERROR(ev->Load());
  return ev;
}

// The first line must be {"ready": true, ...}; {"ready": false, "error":
// ...} says why it could not start.
Status NodeEvaluator::ReadReady() {
  auto line = child_.ReadLine(After(options_.timeout));
  if (!line.ok()) return Failed("it did not start: " + line.status().message());
  const json r = ParseLine(*line);
  const json* ready = Field(r, "ready");
  if (!ready || !ready->is_boolean()) return Failed("it wrote " + QuotedLine(*line) + " instead of its ready line");
  if (!ready->get<bool>()) return Failed("it could not start: " + Text(r, "error", "no reason given"));
  return Status::Ok();
}

Status NodeEvaluator::Load() {
  const auto& o = options_;
  json req = {{"cmd", "load"},
              {"model", AbsolutePath(o.model_json)},
              {"count", o.count},
              {"seed", o.seed},
              {"dims", {{"default", o.default_dim}}},
              {"inputs_dir", o.inputs_dir.empty() ? json(nullptr) : json(AbsolutePath(o.inputs_dir))},
              {"outputs", o.outputs.empty() ? json(nullptr) : json(o.outputs)}};
  for (const auto& [name, shape] : o.shapes) req["dims"][name] = shape;
  TFQ_ASSIGN_OR_RETURN(json r, Call(std::move(req)));
  const json* ins = Field(r, "inputs");
  const json* outs = Field(r, "outputs");
  const auto count = Count(r, "count", 100000);
  if (!count || *count < 1 || !ins || !ins->is_array() || !outs || !outs->is_array()) {
    return Failed("its reply to 'load' lacks a count of inputs (1 to 100000), the inputs or the outputs");
  }
  count_ = static_cast<int>(*count);
  kind = Printable(Text(r, "kind", "?"), 20);
  for (const auto& i : *ins) {
    std::string shape = "[";
    if (const json* s = Field(i, "shape"); s && s->is_array()) {
      for (const auto& d : *s) {
        const bool dim = d.is_number_integer() && !(d.is_number_unsigned() && d.get<uint64_t>() > (uint64_t{1} << 53));
        shape += (shape.size() > 1 ? "," : "") + (dim ? std::to_string(d.get<int64_t>()) : std::string("?"));
      }
    }
    input_desc.push_back(Printable(Text(i, "name", "?"), 80) + " " + Printable(Text(i, "dtype", "?"), 20) + " " +
                         shape + "]");
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
  // A healthy evaluator gets to quit; a failed one was killed already.
  if (!failed_ && child_.WriteLine(R"({"id":0,"cmd":"quit"})", After(std::chrono::seconds(2))).ok()) child_.Stop();
  else child_.Stop(std::chrono::milliseconds(0));
}

Status NodeEvaluator::Failed(const std::string& what) {
  failed_ = true;
  child_.Stop(std::chrono::milliseconds(0));  // kill it, and read its last words
  const std::string tail = child_.ErrTail(12);
  return EvaluatorFailed("TensorFlow.js evaluator: " + what + (tail.empty() ? "" : "\nits last messages:\n" + tail));
}

// Requests are answered one at a time, in order: the next line must be the
// reply to this one, and all of it must come before one deadline.
Result<json> NodeEvaluator::Call(json req) {
  const int id = next_id_++;
  const std::string cmd = req["cmd"].get<std::string>();
  req["id"] = id;
  const Deadline deadline = After(options_.timeout);
  const std::string late = " within " + std::to_string(options_.timeout.count() / 1000) + " s (--eval-timeout)";
  if (Status s = child_.WriteLine(req.dump(-1, ' ', false, json::error_handler_t::replace), deadline); !s.ok()) {
    return Failed(s.message() + (s.message() == kTimedOut ? late : "") + " before '" + cmd + "'");
  }
  auto line = child_.ReadLine(deadline);
  if (!line.ok()) {
    const std::string& m = line.status().message();
    return Failed((m == kTimedOut ? "it did not answer" + late : m) + " during '" + cmd + "'");
  }
  json r = ParseLine(*line);
  if (!r.is_object()) return Failed("it wrote a line that is not part of the protocol: " + QuotedLine(*line));
  const auto rid = Number(r, "id");
  if (!rid || *rid != id) return Failed("it answered " + QuotedLine(*line) + " to request " + std::to_string(id) + " ('" + cmd + "')");
  const json* ok = Field(r, "ok");
  if (!ok || !ok->is_boolean()) return Failed("its reply to '" + cmd + "' has no \"ok\": " + QuotedLine(*line));
  if (!ok->get<bool>()) {
    const std::string err = Text(r, "error", "unknown error");
    // A bad --outputs, --inputs or --dim is the user's to fix.
    const json* usage = Field(r, "usage");
    if (usage && usage->is_boolean() && usage->get<bool>()) return InvalidArgument(Printable(err, 2000));
    return Failed("'" + cmd + "' failed: " + err);
  }
  return r;
}

Result<Measurement> NodeEvaluator::ParseMeasurement(const json& reply, std::span<const int> inputs) {
  auto m = tfq::ParseMeasurement(reply.dump(-1, ' ', false, json::error_handler_t::replace), count_, outputs, inputs);
  if (!m.ok()) return Failed(m.status().message());
  return m;
}

Result<Measurement> NodeEvaluator::Evaluate(std::span<const Target> plan, std::span<const int> inputs) {
  TFQ_ASSIGN_OR_RETURN(CandidateBatch batch, candidates_.Prepare(plan));
  // The bytes go in the requests themselves (no file per batch to write,
  // read and delete), a few tensors per request: a JavaScript string holds
  // at most 2^29 characters.
  constexpr size_t kRequestBytes = size_t{64} << 20;
  for (size_t begin = 0, offset = 0; begin < batch.entries.size();) {
    size_t end = begin, bytes = 0;
    while (end < batch.entries.size() && (end == begin || bytes + batch.sizes[end] <= kRequestBytes)) bytes += batch.sizes[end++];
    // Our own text, as deep as the model's JSON allowed: not a reply.
    json entries = json::parse(batch.entries_json(begin, end), nullptr, false);
    if (!entries.is_array()) return Internal("candidate weight entries did not parse back");
    auto r = Call(json{{"cmd", "weights"},
                       {"data", Base64(std::span<const uint8_t>(batch.bytes).subspan(offset, bytes))},
                       {"entries", std::move(entries)}});
    if (!r.ok()) return r.status();
    begin = end;
    offset += bytes;
  }
  json assign = json::object();
  for (const auto& [name, key] : batch.assign) assign[name] = key;
  json req = {{"cmd", "eval"}, {"assign", assign}};
  req["inputs"] = inputs.empty() ? json(nullptr) : json(std::vector<int>(inputs.begin(), inputs.end()));
  TFQ_ASSIGN_OR_RETURN(json reply, Call(req));
  if (options_.record) {
    json line = {{"assign", req["assign"]}, {"inputs", req["inputs"]}, {"reply", reply}};
    line["reply"].erase("id");
    line["reply"].erase("ms");
    record_ += line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  }
  return ParseMeasurement(reply, inputs);
}

Result<Measurement> NodeEvaluator::EvaluateModel(const fs::path& model_json) {
  TFQ_ASSIGN_OR_RETURN(json reply,
                       Call(json{{"cmd", "eval_model"}, {"model", AbsolutePath(model_json)}, {"inputs", nullptr}}));
  return ParseMeasurement(reply, {});
}

}  // namespace tfq::cli
