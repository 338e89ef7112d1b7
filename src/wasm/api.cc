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
//    "skip": "pat1,pat2" | [...], "shardSizeBytes": 4194304,
//    "arithmetic": "float64" | "float32", "limits": {"json_depth": 5000}}
//   {"command": "dequantize", "json": ..., "shardSizeBytes": ..., "limits": ...}
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <malloc.h>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "json/json.h"
#include "tfjs_quant/tfjs_quant.h"

namespace tfq::wasm {
namespace {

using json::Json;

// Input files: owned buffers, read in place by the model (SpanFiles).
struct Files {
  std::vector<std::pair<std::string, std::unique_ptr<uint8_t[]>>> owned;
  SpanFiles source;
  std::vector<std::string> json_names;  // sorted by ChooseModelJson's caller
};

struct Output {
  int code = 0;
  std::string text;  // the report (JSON) or the error message
  MemoryFiles files;
  std::vector<std::string> order;  // files in the order written, JSON last
};

// The JavaScript error codes, one per StatusCode.
const char* CodeId(StatusCode c) {
  switch (c) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kParseError: return "PARSE_ERROR";
    case StatusCode::kFormatError: return "FORMAT_ERROR";
    case StatusCode::kUnsupported: return "UNSUPPORTED";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kUnsafePath: return "UNSAFE_PATH";
    case StatusCode::kAlreadyExists: return "ALREADY_EXISTS";
    case StatusCode::kIOError: return "IO_ERROR";
    case StatusCode::kLimitExceeded: return "LIMIT_EXCEEDED";
    case StatusCode::kOutOfMemory: return "OUT_OF_MEMORY";
    case StatusCode::kEvaluatorFailed: return "EVALUATOR_FAILED";
    case StatusCode::kBudgetUnreachable: return "BUDGET_UNREACHABLE";
    case StatusCode::kMismatch: return "MISMATCH";
    case StatusCode::kInternal: return "INTERNAL";
  }
  return "INTERNAL";
}

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

// quantize and dequantize: open the model among `in`, plan, write to memory.
// The options are checked first: a wrong option is the caller's error
// whatever the files hold.
Status Write(const Json& request, bool dequantize, Files& in, Output* out) {
  TFQ_ASSIGN_OR_RETURN(Limits limits, ToLimits(request));
  TFQ_ASSIGN_OR_RETURN(WriteOptions options, ToWriteOptions(request));
  Selection sel;
  if (!dequantize) {
    TFQ_ASSIGN_OR_RETURN(sel, ToSelection(request));
  }
  std::string json_name;
  if (auto it = request.find("json"); it != request.end()) {
    if (!it->is_string()) return BadOption("json", "a file name", *it);
    json_name = it->get<std::string>();
  } else {
    TFQ_ASSIGN_OR_RETURN(json_name, ChooseModelJson(in.json_names, "the files given"));
  }
  TFQ_ASSIGN_OR_RETURN(Model model, Model::Open(in.source, json_name, limits));
  std::vector<Target> plan(model.tensors().size(), Target::kRaw);
  if (!dequantize) {
    TFQ_ASSIGN_OR_RETURN(plan, Plan(model, sel));
  }
  TFQ_ASSIGN_OR_RETURN(WriteReport report, WriteModel(model, plan, options, out->files));
  out->order = report.files;
  out->text = json::DumpPython(ReportJson(report));
  return Status::Ok();
}

Status Run(std::string_view request_text, Files& in, Output* out) {
  json::ParseOptions po;
  po.max_depth = 64;
  TFQ_ASSIGN_OR_RETURN(Json request, json::Parse(request_text, "the request", po));
  if (!request.is_object()) return BadOption("request", "an object", request);
  auto cmd = request.find("command");
  if (cmd == request.end()) return InvalidArgument("the request has no \"command\"");
  if (*cmd == "quantize" || *cmd == "dequantize") return Write(request, *cmd == "dequantize", in, out);
  return BadOption("command", "\"quantize\" or \"dequantize\"", *cmd);
}

}  // namespace
}  // namespace tfq::wasm

using tfq::wasm::Files;
using tfq::wasm::Output;

// Null returns mean the module ran out of memory.
extern "C" {

Files* tfq_files_new() { return new (std::nothrow) Files; }

// Adds a file of `size` bytes named by the `name_size` bytes at `name` and
// returns where JavaScript copies its bytes (null: out of memory).
uint8_t* tfq_files_add(Files* f, const char* name, size_t name_size, size_t size) {
  std::unique_ptr<uint8_t[]> bytes(new (std::nothrow) uint8_t[size ? size : 1]);
  if (!bytes) return nullptr;
  std::string n(name, name_size);
  uint8_t* p = bytes.get();
  f->source.Add(n, std::span<const uint8_t>(p, size));
  if (n.find('/') == std::string::npos && std::string_view(n).ends_with(".json")) f->json_names.push_back(n);
  f->owned.emplace_back(std::move(n), std::move(bytes));
  return p;
}

void tfq_files_free(Files* f) { delete f; }

// Runs the request (JSON text) over the files.
Output* tfq_run(const char* request, size_t request_size, Files* in) {
  auto* out = new (std::nothrow) Output;
  if (!out) return nullptr;
  std::sort(in->json_names.begin(), in->json_names.end());
  tfq::Status s = tfq::wasm::Run(std::string_view(request, request_size), *in, out);
  if (!s.ok()) {
    out->code = static_cast<int>(s.code());
    out->text = s.message();
    out->files.files.clear();
    out->order.clear();
  }
  return out;
}

int tfq_result_code(const Output* r) { return r->code; }
const char* tfq_result_code_id(const Output* r) { return tfq::wasm::CodeId(static_cast<tfq::StatusCode>(r->code)); }
const char* tfq_result_text(const Output* r) { return r->text.data(); }
size_t tfq_result_text_size(const Output* r) { return r->text.size(); }
size_t tfq_result_file_count(const Output* r) { return r->order.size(); }
const char* tfq_result_file_name(const Output* r, size_t i) { return r->order[i].data(); }
size_t tfq_result_file_name_size(const Output* r, size_t i) { return r->order[i].size(); }
const uint8_t* tfq_result_file_data(const Output* r, size_t i) { return r->files.files.find(r->order[i])->second.data(); }
size_t tfq_result_file_size(const Output* r, size_t i) { return r->files.files.find(r->order[i])->second.size(); }
void tfq_result_free(Output* r) { delete r; }

// Bytes of the heap in use: what the tests watch for leaks.
size_t tfq_heap_in_use() { return mallinfo().uordblks; }

}  // extern "C"
