// SPDX-License-Identifier: Apache-2.0
// Status and Result<T>: how every fallible call in tfjs-quant reports failure.
//
// The library does not throw (it is built with -fno-exceptions, as it must
// be for WebAssembly, where exceptions are off by default), but for
// std::bad_alloc when a small allocation fails; tensor-sized allocations
// fail as a kOutOfMemory Status. A failed call
// returns a Status whose code says what kind of failure it is, so that
// callers branch on the code and never on the text, and whose message says
// where: the file, the JSON location, the weight, what was expected and what
// was found. Messages hold no control characters and no unbounded echo of
// the input (tfjs_quant/text.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tfq {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // the caller's options are wrong (flags, patterns, budget text)
  kParseError,         // a JSON file is not valid JSON
  kFormatError,        // valid JSON/bytes that are not a valid tfjs model
  kUnsupported,        // a valid model using something tfjs (or we) do not handle
  kNotFound,           // a file the model names is missing
  kUnsafePath,         // a path that leaves the model's folder, or is not a plain file
  kAlreadyExists,      // the output would overwrite something (or overlaps the input)
  kIOError,            // the OS failed a read or write
  kLimitExceeded,      // the input is larger than a Limits value allows
  kOutOfMemory,        // an allocation failed
  kEvaluatorFailed,    // auto: the evaluator is missing, crashed, hung or answered nonsense
  kBudgetUnreachable,  // auto: the budget cannot hold even with every tensor as stored
  kMismatch,           // diff: the two models do not hold the same weights
  kInternal,           // a broken invariant: a bug in tfjs-quant
};

// "invalid argument", "limit exceeded", ...
const char* StatusCodeName(StatusCode code);
// "INVALID_ARGUMENT", "LIMIT_EXCEEDED", ...: for programs (the JavaScript
// package's error codes).
const char* StatusCodeId(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  // A status naming the Limits field that was exceeded (kLimitExceeded):
  // `limit` is one of LimitTable()'s names; any other is dropped. The
  // status keeps the table's own copy, so `limit` need not outlive it.
  Status(StatusCode code, std::string message, std::string_view limit);

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // For kLimitExceeded: the name of the limit that a caller may raise
  // ("rank", "json_depth": tfjs_quant/limits.h); empty where the bound is
  // fixed. The message says what was found against it; how to raise it is
  // the edge's to say (the CLI's --limit, the JavaScript `limits` option).
  std::string_view limit() const { return limit_ ? std::string_view(limit_) : std::string_view(); }
  // Adds context in front of the message ("reading model.json: ...").
  Status Prefixed(const std::string& context) const {
    if (ok()) return *this;
    Status s(code_, context + ": " + message_);
    s.limit_ = limit_;
    return s;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  const char* limit_ = nullptr;  // a LimitTable() name: static
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status ParseError(std::string m) { return {StatusCode::kParseError, std::move(m)}; }
inline Status FormatError(std::string m) { return {StatusCode::kFormatError, std::move(m)}; }
inline Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status UnsafePath(std::string m) { return {StatusCode::kUnsafePath, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
// `limit`: the Limits field exceeded ("rank"), empty for a fixed bound.
inline Status LimitExceeded(std::string m, std::string_view limit = {}) {
  return {StatusCode::kLimitExceeded, std::move(m), limit};
}
inline Status OutOfMemory(std::string m) { return {StatusCode::kOutOfMemory, std::move(m)}; }
inline Status EvaluatorFailed(std::string m) { return {StatusCode::kEvaluatorFailed, std::move(m)}; }
inline Status BudgetUnreachable(std::string m) { return {StatusCode::kBudgetUnreachable, std::move(m)}; }
inline Status Mismatch(std::string m) { return {StatusCode::kMismatch, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

namespace detail {
// Reading the value of a failed Result is a bug in the caller: this prints
// the status and aborts (there is no exception to throw).
[[noreturn]] void DieOnFailedResult(const Status& s);
}  // namespace detail

// Holds either a T or a failed Status. value() on a failed Result aborts:
// check ok() (or use TFQ_ASSIGN_OR_RETURN) first.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    if (status_.ok()) status_ = Status(StatusCode::kInternal, "a Result was made from an OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return Checked(); }
  const T& value() const& { return const_cast<Result*>(this)->Checked(); }
  T&& value() && { return std::move(Checked()); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &const_cast<Result*>(this)->Checked(); }
  T& operator*() & { return Checked(); }
  const T& operator*() const& { return const_cast<Result*>(this)->Checked(); }

 private:
  T& Checked() {
    if (!value_) detail::DieOnFailedResult(status_);
    return *value_;
  }
  std::optional<T> value_;
  Status status_;  // OK when value_ is set
};

}  // namespace tfq

// Early-return helpers; they keep call sites to one line per fallible step.
#define TFQ_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::tfq::Status tfq_status_ = (expr);        \
    if (!tfq_status_.ok()) return tfq_status_; \
  } while (0)

#define TFQ_CONCAT_INNER(a, b) a##b
#define TFQ_CONCAT(a, b) TFQ_CONCAT_INNER(a, b)
#define TFQ_ASSIGN_OR_RETURN(lhs, expr) \
  TFQ_ASSIGN_OR_RETURN_IMPL(TFQ_CONCAT(tfq_result_, __LINE__), lhs, expr)
#define TFQ_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
