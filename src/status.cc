// SPDX-License-Identifier: Apache-2.0
// Status code names, and the one place a misused Result ends the program.
#include "tfjs_quant/status.h"

#include <cstdio>
#include <cstdlib>

#include "tfjs_quant/limits.h"
#include "tfjs_quant/text.h"

namespace tfq {

namespace {
// Each code's two spellings: for people, and for programs (the JavaScript
// error's `code`).
struct CodeNames {
  const char* name;
  const char* id;
};
CodeNames Names(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return {"ok", "OK"};
    case StatusCode::kInvalidArgument: return {"invalid argument", "INVALID_ARGUMENT"};
    case StatusCode::kParseError: return {"parse error", "PARSE_ERROR"};
    case StatusCode::kFormatError: return {"format error", "FORMAT_ERROR"};
    case StatusCode::kUnsupported: return {"unsupported", "UNSUPPORTED"};
    case StatusCode::kNotFound: return {"not found", "NOT_FOUND"};
    case StatusCode::kUnsafePath: return {"unsafe path", "UNSAFE_PATH"};
    case StatusCode::kAlreadyExists: return {"already exists", "ALREADY_EXISTS"};
    case StatusCode::kIOError: return {"I/O error", "IO_ERROR"};
    case StatusCode::kLimitExceeded: return {"limit exceeded", "LIMIT_EXCEEDED"};
    case StatusCode::kOutOfMemory: return {"out of memory", "OUT_OF_MEMORY"};
    case StatusCode::kEvaluatorFailed: return {"evaluator failed", "EVALUATOR_FAILED"};
    case StatusCode::kBudgetUnreachable: return {"budget unreachable", "BUDGET_UNREACHABLE"};
    case StatusCode::kMismatch: return {"mismatch", "MISMATCH"};
    case StatusCode::kInternal: return {"internal error", "INTERNAL"};
  }
  return {"unknown", "INTERNAL"};
}
}  // namespace

Status::Status(StatusCode code, std::string message, std::string_view limit)
    : code_(code), message_(std::move(message)) {
  for (const LimitInfo& l : LimitTable())
    if (limit == l.name) limit_ = l.name;
}

const char* StatusCodeName(StatusCode code) { return Names(code).name; }
const char* StatusCodeId(StatusCode code) { return Names(code).id; }

namespace detail {
void DieOnFailedResult(const Status& s) {
  std::fprintf(stderr, "tfjs-quant: bug: the value of a failed Result was read (%s: %s)\n", StatusCodeName(s.code()),
               Printable(s.message(), 400).c_str());
  std::abort();
}
}  // namespace detail

}  // namespace tfq
