// SPDX-License-Identifier: Apache-2.0
// Status and Result<T>: how every fallible call in tfjs-quant reports failure.
//
// The library never throws across its API (it must compile to WebAssembly,
// where exceptions are off by default). A failed call returns a Status whose
// code says what kind of failure it is and whose message says where: the file,
// the JSON location, the weight, what was expected and what was found.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace tfq {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller's options are wrong (flags, patterns)
  kParseError,       // a JSON file is not valid JSON
  kFormatError,      // valid JSON/bytes that are not a valid tfjs model
  kUnsupported,      // a valid model using something we do not handle
  kNotFound,         // a file the model names is missing
  kUnsafePath,       // a path that leaves the model's folder
  kAlreadyExists,    // output would overwrite something
  kIOError,          // the OS failed a read or write
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Adds context in front of the message ("reading model.json: ...").
  Status Prefixed(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status ParseError(std::string m) { return {StatusCode::kParseError, std::move(m)}; }
inline Status FormatError(std::string m) { return {StatusCode::kFormatError, std::move(m)}; }
inline Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status UnsafePath(std::string m) { return {StatusCode::kUnsafePath, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }

// Holds either a T or a failed Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Status> v_;
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
