// SPDX-License-Identifier: Apache-2.0
// Strict JSON parsing through nlohmann's SAX interface, so a syntax error
// becomes a Status with line and column instead of an exception.
#include <algorithm>
#include <string>

#include "json/json.h"

namespace tfq::json {
namespace {

// Forwards every event to nlohmann's DOM builder; keeps the error text itself.
class Builder {
 public:
  explicit Builder(Json& root) : dom_(root, /*allow_exceptions=*/false) {}
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(number_float_t v, const string_t& s) { return dom_.number_float(v, s); }
  bool string(string_t& v) { return dom_.string(v); }
  bool binary(binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) { return dom_.start_object(n); }
  bool key(string_t& v) { return dom_.key(v); }
  bool end_object() { return dom_.end_object(); }
  bool start_array(std::size_t n) { return dom_.start_array(n); }
  bool end_array() { return dom_.end_array(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) {
    error_ = ex.what();
    position_ = position;
    return false;
  }
  const std::string& error() const { return error_; }
  size_t position() const { return position_; }

 private:
  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  std::string error_;
  size_t position_ = 0;
};

}  // namespace

Result<Json> Parse(std::string_view text, std::string_view label) {
  Json root;
  Builder builder(root);
  bool ok = Json::sax_parse(text.begin(), text.end(), &builder);
  if (!ok) {
    // nlohmann's text is "[json.exception.parse_error.101] parse error at
    // line 2, column 5: syntax error while parsing ..." for syntax errors, but
    // has no position for others (a number too large for a double). Compute
    // the line and column from the byte offset ourselves, always.
    std::string e = builder.error();
    if (auto p = e.find("] "); p != std::string::npos && e.front() == '[') e = e.substr(p + 2);
    if (auto p = e.find(": "); e.rfind("parse error at line", 0) == 0 && p != std::string::npos) e = e.substr(p + 2);
    const size_t offset = std::min(builder.position(), text.size());
    size_t line = 1, column = 1;
    for (size_t i = 0; i + 1 < offset; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    // Python's json.dump writes NaN and Infinity bare; say so plainly.
    const size_t from = offset >= 2 ? offset - 2 : 0;
    const std::string_view near = text.substr(from, 12);
    if (near.find("NaN") != std::string_view::npos || near.find("Infinity") != std::string_view::npos) {
      e = "NaN and Infinity are not JSON (Python's json.dump writes them for non-finite values); tfjs cannot "
          "load this file either";
    }
    return ParseError(std::string(label) + ": invalid JSON at line " + std::to_string(line) + ", column " +
                      std::to_string(column) + ": " + e);
  }
  return root;
}

namespace {

size_t SkipWs(std::string_view t, size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
  return i;
}

// Returns the index just past the JSON string starting at t[i] == '"'.
size_t SkipString(std::string_view t, size_t i) {
  ++i;
  while (i < t.size() && t[i] != '"') i += (t[i] == '\\') ? 2 : 1;
  return i + 1;
}

// Returns the index just past the JSON value starting at t[i].
size_t SkipValue(std::string_view t, size_t i) {
  if (t[i] == '"') return SkipString(t, i);
  if (t[i] == '{' || t[i] == '[') {
    int depth = 0;
    while (i < t.size()) {
      char c = t[i];
      if (c == '"') {
        i = SkipString(t, i);
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return i;
  }
  // number, true, false, null
  while (i < t.size() && std::string_view(",]} \t\r\n").find(t[i]) == std::string_view::npos) ++i;
  return i;
}

// Index past a leading UTF-8 byte order mark, which the parser skips (as
// browsers' fetch().json() does).
size_t SkipBom(std::string_view t) { return t.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0; }

}  // namespace

std::pair<size_t, size_t> RootValueSpan(std::string_view text) {
  size_t b = SkipWs(text, SkipBom(text));
  return {b, SkipValue(text, b)};
}

std::optional<std::pair<size_t, size_t>> TopLevelMemberSpan(std::string_view text,
                                                            std::string_view key) {
  size_t i = SkipWs(text, SkipBom(text));
  if (i >= text.size() || text[i] != '{') return std::nullopt;
  i = SkipWs(text, i + 1);
  // A repeated key: JSON.parse, Python's json and our parser keep the last.
  std::optional<std::pair<size_t, size_t>> found;
  while (i < text.size() && text[i] == '"') {
    size_t key_end = SkipString(text, i);
    // Keys are compared decoded, so an escaped spelling still matches.
    auto k = Json::parse(text.substr(i, key_end - i), nullptr, false);
    i = SkipWs(text, key_end);
    if (i >= text.size() || text[i] != ':') return std::nullopt;
    i = SkipWs(text, i + 1);
    size_t value_end = SkipValue(text, i);
    if (k.is_string() && k.get_ref<const std::string&>() == key) found = std::make_pair(i, value_end);
    i = SkipWs(text, value_end);
    if (i < text.size() && text[i] == ',') i = SkipWs(text, i + 1);
  }
  return found;
}

std::string Describe(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return std::string("the boolean ") + (v.get<bool>() ? "true" : "false");
    case Json::value_t::string: return "the string " + DumpPython(v);
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "the number " + v.dump();
    case Json::value_t::array: return "an array";
    case Json::value_t::object: return "an object";
    default: return "an unexpected value";
  }
}

}  // namespace tfq::json
