// SPDX-License-Identifier: Apache-2.0
// JSON for the manifest: parse (with line/column errors, a depth limit, no
// exceptions, and only the parts the caller keeps built in memory), dump the
// way Python's json.dump writes it (what tensorflowjs_converter emits), and
// find a top-level value's byte span so the rest of model.json is kept byte
// for byte. Nothing here recurses on the input's nesting.
#pragma once

#include "json/nlohmann.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "tfjs_quant/status.h"

namespace tfq::json {

// ordered_json keeps the key order of the file, which we write back.
using Json = nlohmann::ordered_json;

// Which values of a document to build; the rest is checked, then dropped
// (a 100 MB graph topology need not become a DOM to find the manifest).
// Every value gets a tag from its parent's: kKeepAll keeps the value with
// everything in it, kDrop drops it; other tags mean "keep this container,
// ask again for each child".
struct Filter {
  static constexpr int kKeepAll = 0;
  static constexpr int kDrop = -1;
  int root = kKeepAll;
  // Tag of a child of a container tagged `parent`: `key` for an object's
  // member, nullopt for an array element.
  int (*child)(int parent, std::optional<std::string_view> key) = nullptr;
};

struct ParseOptions {
  uint64_t max_depth = 1000;       // deeper nesting is kLimitExceeded (limit json_depth)
  const Filter* filter = nullptr;  // null: build everything
};

// Parses strict JSON. Errors: "<label>: invalid JSON at line L, column C:
// ..." (kParseError; a NUL byte anywhere is one), or a kLimitExceeded for
// nesting deeper than options.max_depth.
Result<Json> Parse(std::string_view text, std::string_view label, const ParseOptions& options = {});

// json.dump(value) with Python defaults: separators ", " and ": ",
// ensure_ascii, floats as repr(). Non-finite floats are not valid JSON and
// are never written; callers must not pass them.
std::string DumpPython(const Json& value);

// Python repr() of a float: shortest round-trip digits, "1.0", "-0.0",
// "1e-05", "3.356984890033899e-05", "1e+16".
std::string PythonFloatRepr(double v);

// A JSON string literal with Python's ensure_ascii escaping.
std::string PythonStringLiteral(std::string_view utf8);

// Byte range [begin, end) of the value of member `key` of the top-level
// object in `text`, which must already be known to be valid JSON. A repeated
// key gives its last value, the one JSON parsers keep. A leading UTF-8 BOM is
// skipped (here and in RootValueSpan), as the parser skips it.
std::optional<std::pair<size_t, size_t>> TopLevelMemberSpan(std::string_view text,
                                                            std::string_view key);
// Byte range of the root value (without surrounding white space).
std::pair<size_t, size_t> RootValueSpan(std::string_view text);

// Describes a JSON value's type for messages: "a string", "the number 3", ...
// Long strings are cut (tfjs_quant/text.h).
std::string Describe(const Json& v);

}  // namespace tfq::json
