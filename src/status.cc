// SPDX-License-Identifier: Apache-2.0
// Status code names, and the one place a misused Result ends the program.
#include "tfjs_quant/status.h"

#include <cstdio>
#include <cstdlib>

#include "tfjs_quant/text.h"

namespace tfq {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kParseError: return "parse error";
    case StatusCode::kFormatError: return "format error";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kNotFound: return "not found";
    case StatusCode::kUnsafePath: return "unsafe path";
    case StatusCode::kAlreadyExists: return "already exists";
    case StatusCode::kIOError: return "I/O error";
    case StatusCode::kLimitExceeded: return "limit exceeded";
    case StatusCode::kOutOfMemory: return "out of memory";
    case StatusCode::kEvaluatorFailed: return "evaluator failed";
    case StatusCode::kBudgetUnreachable: return "budget unreachable";
    case StatusCode::kMismatch: return "mismatch";
    case StatusCode::kInternal: return "internal error";
  }
  return "unknown";
}

namespace detail {
void DieOnFailedResult(const Status& s) {
  std::fprintf(stderr, "tfjs-quant: bug: the value of a failed Result was read (%s: %s)\n", StatusCodeName(s.code()),
               Printable(s.message(), 400).c_str());
  std::abort();
}
}  // namespace detail

}  // namespace tfq
