// SPDX-License-Identifier: Apache-2.0
// The WebAssembly edge: a C interface over the core for the JavaScript
// package (js/). JavaScript hands over files as bytes (each copied once, into
// memory this module owns) and a request as JSON text; it gets back a status,
// a JSON text (the report, or the error message) and output files, which it
// copies out before freeing the result. No file system, threads or
// exceptions: the same core calls as the CLI, so the same bytes.
//
// Requests (every member but "command" optional):
//   {"command": "quantize", "json": "model.json",
//    "uint8": true | "pat1,pat2" | ["pat1", ...], "uint16": ..., "float16": ...,
//    "skip": "pat1,pat2" | [...], "skipNames": ["exact name", ...],
//    "shardSizeBytes": 4194304,
//    "arithmetic": "float64" | "float32", "limits": {"json_depth": 5000}}
//   {"command": "dequantize", "json": ..., "shardSizeBytes": ..., "limits": ...}
//   {"command": "inspect", "json": ..., "wire": true, "limits": ...}
//     -> the JSON of `tfjs-quant inspect --json`
//   {"command": "diff", "a": "model.json", "b": ..., "limits": ...} over files
//     named "a/..." and "b/..." -> {"tensors": [...], "differ": N}
//   {"command": "match", "patterns": "a*,b" | [...], "names": [...]}
//     -> {"matches": [indices of the names the patterns take]}
// quantize also takes "plan": {"weight name": "uint8" | "uint16" | "float16"
// | "float32" | "keep"}, instead of the patterns: weights not named are kept.
//
// `auto` (js/src/auto.js) is a search session over several calls; the model
// stays in this module's memory between them (search_session.cc).
//   {"command": "searchOpen", "json", "budget": "sqnr>=30", "screenInputs": 2,
//    "numInputs": N, "outputs": [names], "limits"} over the model's files
//     -> {"session": id, "tensors": N}
//   {"command": "searchNext", "session": id, "measurement": null | {eval reply},
//    "step": k (the step the measurement answers)}
//     -> {"step": k, "request": {"entries": [...], "assign": {...}, "inputs":
//         null | [...]}, "progress": {...}} plus the file "weights.bin" (the
//        entries' bytes); the same again if asked again before its answer;
//        or {"done": true, "result": {...}} once the search is done
//   {"command": "searchWrite", "session": id, "shardSizeBytes"} -> the files
//     and the report, as quantize
//   {"command": "searchCheck", "session": id, "measurement": {eval reply of
//    the written model}} -> {"metrics", "holds", "described"}
//   {"command": "searchClose", "session": id}
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <malloc.h>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "json/json.h"
#include "wasm/api.h"
#include "tfjs_quant/report.h"
#include "tfjs_quant/tfjs_quant.h"

namespace tfq::wasm {

Status BadOption(std::string_view name, std::string_view expected, const Json& found) {
  return InvalidArgument("option " + std::string(name) + ": expected " + std::string(expected) + ", found " +
                         json::Describe(found));
}

// "a,b" or ["a", "b"]: patterns, split as the CLI splits its flags.
Result<std::vector<std::string>> Patterns(std::string_view name, const Json& v) {
  if (v.is_string()) return SplitPatterns(v.get_ref<const std::string&>());
  if (!v.is_array()) return BadOption(name, "a comma-separated string or an array of strings", v);
  std::vector<std::string> out;
  for (const Json& p : v) {
    if (!p.is_string()) return BadOption(name, "an array of strings", p);
    out.push_back(p.get_ref<const std::string&>());
  }
  // An empty list matches nothing, as "--quantize_uint8=" does.
  if (out.empty()) out.push_back("");
  return out;
}

// true (every float32 weight no pattern took) or patterns; false or absent:
// not given.
Status ToRule(const Json& request, const char* name, DTypeRule* rule) {
  auto it = request.find(name);
  if (it == request.end() || (it->is_boolean() && !it->get<bool>())) return Status::Ok();
  if (!it->is_boolean() && !it->is_string() && !it->is_array()) {
    return BadOption(name, "true, a comma-separated string or an array of strings", *it);
  }
  rule->given = true;
  if (it->is_boolean()) {
    rule->fallthrough = true;
    return Status::Ok();
  }
  TFQ_ASSIGN_OR_RETURN(rule->patterns, Patterns(name, *it));
  return Status::Ok();
}

Result<Limits> ToLimits(const Json& request) {
  Limits limits;
  auto it = request.find("limits");
  if (it == request.end()) return limits;
  if (!it->is_object()) return BadOption("limits", "an object of limit names and whole numbers", *it);
  for (const auto& [name, value] : it->items()) {
    if (!value.is_number_unsigned() || value.get<uint64_t>() == 0) {
      return BadOption("limits." + Printable(name, 80), "a whole number from 1", value);
    }
    TFQ_RETURN_IF_ERROR(SetLimit(&limits, name, value.get<uint64_t>()));
  }
  return limits;
}

Result<WriteOptions> ToWriteOptions(const Json& request) {
  WriteOptions options;
  if (auto it = request.find("shardSizeBytes"); it != request.end()) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() == 0) {
      return BadOption("shardSizeBytes", "a whole number of bytes from 1", *it);
    }
    options.shard_size_bytes = it->get<uint64_t>();
  }
  if (auto it = request.find("arithmetic"); it != request.end()) {
    if (*it == "float32") options.arithmetic = Arithmetic::kNumpy1Float32;
    else if (*it != "float64") return BadOption("arithmetic", "\"float64\" or \"float32\"", *it);
  }
  return options;
}

Result<Selection> ToSelection(const Json& request) {
  Selection sel;
  TFQ_RETURN_IF_ERROR(ToRule(request, "uint8", &sel.uint8));
  TFQ_RETURN_IF_ERROR(ToRule(request, "uint16", &sel.uint16));
  TFQ_RETURN_IF_ERROR(ToRule(request, "float16", &sel.float16));
  if (auto it = request.find("skip"); it != request.end()) {
    TFQ_ASSIGN_OR_RETURN(sel.skip, Patterns("skip", *it));
  }
  // Weights named exactly (quantizeTensors' isSkipQuantization).
  if (auto it = request.find("skipNames"); it != request.end()) {
    if (!it->is_array()) return BadOption("skipNames", "an array of weight names", *it);
    for (const Json& n : *it) {
      if (!n.is_string()) return BadOption("skipNames", "an array of weight names", n);
      sel.skip.push_back(GlobLiteral(n.get_ref<const std::string&>()));
    }
  }
  return sel;
}

Json ReportJson(const WriteReport& r) {
  Json out = Json::object();
  Json tensors = Json::array();
  for (const TensorOutcome& t : r.tensors) {
    tensors.push_back({{"name", t.name},
                       {"before", std::string(EncodingName(t.before))},
                       {"after", std::string(EncodingName(t.after))},
                       {"changed", t.changed},
                       {"bytesBefore", t.bytes_before},
                       {"bytesAfter", t.bytes_after}});
  }
  out["tensors"] = std::move(tensors);
  out["bytesBefore"] = r.bytes_before;
  out["bytesAfter"] = r.bytes_after;
  out["files"] = r.files;
  out["warnings"] = r.warnings;
  return out;
}

// The files as a source, under their normalized names, and the names of
// the .json files at the top (where a folder's model JSON would be).
// `folder` non-empty: only the files under it, named from inside it.
Status OpenFiles(const Files& in, std::string_view folder, SpanFiles* source, std::vector<std::string>* json_names) {
  std::set<std::string, std::less<>> seen;
  for (const Files::File& f : in.added) {
    auto checked = CheckRelativePath(f.name);
    if (!checked.ok()) return checked.status().Prefixed("file " + Quoted(f.name, 200));
    std::string_view name = *checked;
    if (!folder.empty()) {
      if (!name.starts_with(folder) || name.size() <= folder.size() || name[folder.size()] != '/') continue;
      name.remove_prefix(folder.size() + 1);
    }
    if (!seen.insert(std::string(name)).second) return InvalidArgument("file " + Quoted(*checked, 200) + " is given twice");
    if (name.find('/') == std::string::npos && name.ends_with(".json")) json_names->emplace_back(name);
    source->Add(std::string(name), std::span<const uint8_t>(f.bytes.get(), f.size));
  }
  std::sort(json_names->begin(), json_names->end());
  return Status::Ok();
}

// The model JSON among the files: the one request[member] names (a plain
// name: outputs are named as the input JSON, so no folder for shards to be
// looked up in, nothing to climb out of), else the only .json at the top.
Result<std::string> ModelJsonName(const Json& request, const char* member, const std::vector<std::string>& json_names,
                                  std::string_view where) {
  auto it = request.find(member);
  if (it == request.end()) return ChooseModelJson(json_names, where);
  auto name = it->is_string() ? CheckRelativePath(it->get_ref<const std::string&>()) : Result<std::string>("");
  if (!it->is_string() || !name.ok() || name->find('/') != std::string::npos) {
    return BadOption(member, "the name of a .json file given at the top (no folder)", *it);
  }
  return *name;
}

// Refuses request members `command` does not use, so that a misspelt or
// misplaced option is an error rather than silently ignored.
Status CheckMembers(const Json& request, std::string_view command, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : request.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string list;
    for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    return InvalidArgument("option " + Quoted(key, 80) + " is not one of " + std::string(command) + "'s (" + list + ")");
  }
  return Status::Ok();
}

// "plan": {"weight name": target}: the page's per-tensor choices. Every
// name must be a weight of the model; weights not named are kept as stored.
Result<std::vector<Target>> PlanByName(const Model& model, const Json& v) {
  if (!v.is_object()) return BadOption("plan", "an object of weight name -> \"uint8\", \"uint16\", \"float16\", \"float32\" or \"keep\"", v);
  std::map<std::string_view, size_t> index;
  for (size_t i = 0; i < model.tensors().size(); ++i) index.emplace(model.entry(model.tensors()[i]).name, i);
  std::vector<Target> plan(model.tensors().size(), Target::kKeep);
  for (const auto& [name, target] : v.items()) {
    auto it = index.find(name);
    if (it == index.end()) return InvalidArgument("option plan: " + Quoted(name, 200) + " is not a weight of the model");
    const std::string t = target.is_string() ? target.get<std::string>() : "";
    if (t == "uint8") plan[it->second] = Target::kUint8;
    else if (t == "uint16") plan[it->second] = Target::kUint16;
    else if (t == "float16") plan[it->second] = Target::kFloat16;
    else if (t == "float32") plan[it->second] = Target::kRaw;
    else if (t == "keep") plan[it->second] = Target::kKeep;
    else return BadOption("plan." + Printable(name, 80), "\"uint8\", \"uint16\", \"float16\", \"float32\" or \"keep\"", target);
  }
  return plan;
}

// quantize and dequantize: open the model among `in`, plan, write to memory.
// The options are checked first: a wrong option is the caller's error
// whatever the files hold.
Status Write(const Json& request, bool dequantize, const Files& in, Output* out) {
  if (dequantize) {
    TFQ_RETURN_IF_ERROR(CheckMembers(request, "dequantize", {"command", "json", "shardSizeBytes", "limits"}));
  } else {
    TFQ_RETURN_IF_ERROR(CheckMembers(request, "quantize",
                                     {"command", "json", "uint8", "uint16", "float16", "skip", "skipNames", "plan",
                                      "shardSizeBytes", "arithmetic", "limits"}));
  }
  TFQ_ASSIGN_OR_RETURN(Limits limits, ToLimits(request));
  TFQ_ASSIGN_OR_RETURN(WriteOptions options, ToWriteOptions(request));
  Selection sel;
  if (!dequantize) {
    TFQ_ASSIGN_OR_RETURN(sel, ToSelection(request));
  }
  SpanFiles source;
  std::vector<std::string> json_names;
  TFQ_RETURN_IF_ERROR(OpenFiles(in, "", &source, &json_names));
  TFQ_ASSIGN_OR_RETURN(std::string json_name, ModelJsonName(request, "json", json_names, "the files given"));
  TFQ_ASSIGN_OR_RETURN(Model model, Model::Open(source, json_name, limits));
  std::vector<Target> plan(model.tensors().size(), Target::kRaw);
  if (auto it = request.find("plan"); !dequantize && it != request.end()) {
    for (const char* rule : {"uint8", "uint16", "float16", "skip", "skipNames"}) {
      if (request.contains(rule)) return InvalidArgument(std::string("option plan names every weight's encoding: give it without ") + rule);
    }
    TFQ_ASSIGN_OR_RETURN(plan, PlanByName(model, *it));
  } else if (!dequantize) {
    TFQ_ASSIGN_OR_RETURN(plan, Plan(model, sel));
  }
  TFQ_ASSIGN_OR_RETURN(WriteReport report, WriteModel(model, plan, options, out->files));
  // What the options asked for that did nothing, as the CLI warns.
  if (!dequantize && !request.contains("plan")) {
    auto unused = SelectionWarnings(model, sel);
    report.warnings.insert(report.warnings.begin(), unused.begin(), unused.end());
  }
  out->order = report.files;
  out->text = json::DumpPython(ReportJson(report));
  return Status::Ok();
}

// inspect: the report `tfjs-quant inspect --json` prints, the model shown
// by its JSON's name.
Status InspectCommand(const Json& request, const Files& in, Output* out) {
  TFQ_RETURN_IF_ERROR(CheckMembers(request, "inspect", {"command", "json", "wire", "limits"}));
  TFQ_ASSIGN_OR_RETURN(Limits limits, ToLimits(request));
  bool wire = true;
  if (auto it = request.find("wire"); it != request.end()) {
    if (!it->is_boolean()) return BadOption("wire", "true or false", *it);
    wire = it->get<bool>();
  }
  SpanFiles source;
  std::vector<std::string> json_names;
  TFQ_RETURN_IF_ERROR(OpenFiles(in, "", &source, &json_names));
  TFQ_ASSIGN_OR_RETURN(std::string json_name, ModelJsonName(request, "json", json_names, "the files given"));
  TFQ_ASSIGN_OR_RETURN(Model model, Model::Open(source, json_name, limits));
  TFQ_ASSIGN_OR_RETURN(InspectView view, BuildInspectView(model, json_name, wire));
  out->text = RenderInspectJson(view);
  return Status::Ok();
}

// diff: model A from the files under "a/", B from those under "b/".
Status DiffCommand(const Json& request, const Files& in, Output* out) {
  TFQ_RETURN_IF_ERROR(CheckMembers(request, "diff", {"command", "a", "b", "limits"}));
  TFQ_ASSIGN_OR_RETURN(Limits limits, ToLimits(request));
  SpanFiles source_a, source_b;
  std::vector<std::string> json_a, json_b;
  TFQ_RETURN_IF_ERROR(OpenFiles(in, "a", &source_a, &json_a));
  TFQ_RETURN_IF_ERROR(OpenFiles(in, "b", &source_b, &json_b));
  TFQ_ASSIGN_OR_RETURN(std::string name_a, ModelJsonName(request, "a", json_a, "model A's files"));
  TFQ_ASSIGN_OR_RETURN(std::string name_b, ModelJsonName(request, "b", json_b, "model B's files"));
  TFQ_ASSIGN_OR_RETURN(Model a, Model::Open(source_a, name_a, limits));
  TFQ_ASSIGN_OR_RETURN(Model b, Model::Open(source_b, name_b, limits));
  TFQ_ASSIGN_OR_RETURN(DiffReport report, Diff(a, b));
  out->text = RenderDiffJson(report);
  return Status::Ok();
}

// match: which of `names` the CLI's patterns take (the page's pattern box).
Status MatchCommand(const Json& request, Output* out) {
  TFQ_RETURN_IF_ERROR(CheckMembers(request, "match", {"command", "patterns", "names"}));
  auto p = request.find("patterns");
  if (p == request.end()) return BadOption("patterns", "a comma-separated string or an array of strings", Json());
  TFQ_ASSIGN_OR_RETURN(std::vector<std::string> patterns, Patterns("patterns", *p));
  auto names = request.find("names");
  if (names == request.end() || !names->is_array()) {
    return BadOption("names", "an array of weight names", names == request.end() ? Json() : *names);
  }
  Json matches = Json::array();
  for (size_t i = 0; i < names->size(); ++i) {
    const Json& n = (*names)[i];
    if (!n.is_string()) return BadOption("names", "an array of strings", n);
    for (const std::string& pattern : patterns) {
      if (GlobMatch(pattern, n.get_ref<const std::string&>())) {
        matches.push_back(i);
        break;
      }
    }
  }
  out->text = Json{{"matches", std::move(matches)}}.dump();
  return Status::Ok();
}

namespace {

Status Run(std::string_view request_text, Files& in, Output* out) {
  json::ParseOptions po;
  po.max_depth = 64;
  TFQ_ASSIGN_OR_RETURN(Json request, json::Parse(request_text, "the request", po));
  if (!request.is_object()) return BadOption("request", "an object", request);
  auto cmd = request.find("command");
  if (cmd == request.end()) return InvalidArgument("the request has no \"command\"");
  if (*cmd == "quantize" || *cmd == "dequantize") return Write(request, *cmd == "dequantize", in, out);
  if (*cmd == "inspect") return InspectCommand(request, in, out);
  if (*cmd == "diff") return DiffCommand(request, in, out);
  if (*cmd == "match") return MatchCommand(request, out);
  if (*cmd == "searchOpen") return SearchOpen(request, in, out);
  if (*cmd == "searchNext") return SearchNext(request, out);
  if (*cmd == "searchWrite") return SearchWrite(request, out);
  if (*cmd == "searchCheck") return SearchCheck(request, out);
  if (*cmd == "searchClose") return SearchClose(request, out);
  return BadOption("command", "\"quantize\", \"dequantize\", \"inspect\", \"diff\" or a search command", *cmd);
}

}  // namespace
}  // namespace tfq::wasm

using tfq::wasm::Files;
using tfq::wasm::Output;

// Null returns mean the module ran out of memory.
extern "C" {

Files* tfq_files_new() { return new (std::nothrow) Files; }

// Adds a file of `size` bytes named by the `name_size` bytes at `name` and
// returns where JavaScript copies its bytes (null: out of memory). Names
// are checked when a request runs.
uint8_t* tfq_files_add(Files* f, const char* name, size_t name_size, size_t size) {
  std::unique_ptr<uint8_t[]> bytes(new (std::nothrow) uint8_t[size ? size : 1]);
  if (!bytes) return nullptr;
  uint8_t* p = bytes.get();
  f->added.push_back({std::string(name, name_size), std::move(bytes), size});
  return p;
}

void tfq_files_free(Files* f) { delete f; }

// Runs the request (JSON text) over the files.
Output* tfq_run(const char* request, size_t request_size, Files* in) {
  auto* out = new (std::nothrow) Output;
  if (!out) return nullptr;
  tfq::Status s = tfq::wasm::Run(std::string_view(request, request_size), *in, out);
  if (!s.ok()) {
    out->code = static_cast<int>(s.code());
    out->text = s.message();
    // The library names the limit; the option that raises it is this edge's.
    if (!s.limit().empty()) out->text += "; to allow it, pass the option limits: {" + std::string(s.limit()) + ": N}";
    out->files.files.clear();
    out->order.clear();
  }
  return out;
}

int tfq_result_code(const Output* r) { return r->code; }
const char* tfq_result_code_id(const Output* r) { return tfq::StatusCodeId(static_cast<tfq::StatusCode>(r->code)); }
const char* tfq_result_text(const Output* r) { return r->text.data(); }
size_t tfq_result_text_size(const Output* r) { return r->text.size(); }
size_t tfq_result_file_count(const Output* r) { return r->order.size(); }
const char* tfq_result_file_name(const Output* r, size_t i) { return i < r->order.size() ? r->order[i].data() : ""; }
size_t tfq_result_file_name_size(const Output* r, size_t i) { return i < r->order.size() ? r->order[i].size() : 0; }
// Null and 0 for an index out of range or a name the writer reported but
// did not write (neither happens; JavaScript then throws).
const uint8_t* tfq_result_file_data(const Output* r, size_t i) {
  if (i >= r->order.size()) return nullptr;
  auto it = r->files.files.find(r->order[i]);
  if (it == r->files.files.end()) return nullptr;
  // An empty file still has an address: null means "no such file".
  return it->second.empty() ? reinterpret_cast<const uint8_t*>("") : it->second.data();
}
size_t tfq_result_file_size(const Output* r, size_t i) {
  if (i >= r->order.size()) return 0;
  auto it = r->files.files.find(r->order[i]);
  return it == r->files.files.end() ? 0 : it->second.size();
}
void tfq_result_free(Output* r) { delete r; }

// Bytes of the heap in use: what the tests watch for leaks.
size_t tfq_heap_in_use() { return mallinfo().uordblks; }

}  // extern "C"
