// SPDX-License-Identifier: Apache-2.0
// Strict JSON parsing through nlohmann's SAX interface, so a syntax error
// becomes a Status with line and column instead of an exception, and with
// our own DOM builder, which keeps only what the caller's Filter asks for.
// A linear pre-scan bounds the nesting depth and finds NUL bytes (which
// nlohmann's lexer would take for the end of the input) before the parser
// runs, so nothing below ever holds more than max_depth frames.
#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "json/json.h"
#include "tfjs_quant/limits.h"
#include "tfjs_quant/text.h"

namespace tfq::json {
namespace {

std::string At(std::string_view text, size_t offset) {
  size_t line = 1, column = 1;
  offset = std::min(offset, text.size());
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// NUL bytes and nesting depth, in one pass that knows where strings are.
Status PreScan(std::string_view text, std::string_view label, uint64_t max_depth) {
  uint64_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\0') {
      return ParseError(std::string(label) + ": invalid JSON at " + At(text, i) +
                        ": a NUL byte (JSON text cannot hold one)");
    }
    if (in_string) {
      if (c == '\\') {
        if (i + 1 < text.size() && text[i + 1] != '\0') ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return LimitExceeded(std::string(label) + ": " + At(text, i) + ": arrays and objects nested deeper than " +
                             std::to_string(max_depth) + " levels exceed " + LimitText("json_depth", max_depth), "json_depth");
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return Status::Ok();
}

// Builds the kept parts of the document; the SAX events arrive in document
// order, so one stack of open containers is all the state there is.
class Builder {
 public:
  Builder(Json* root, const Filter* filter) : root_(root), filter_(filter) {}
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  bool null() { return Value(Json(nullptr)); }
  bool boolean(bool v) { return Value(Json(v)); }
  bool number_integer(number_integer_t v) { return Value(Json(v)); }
  bool number_unsigned(number_unsigned_t v) { return Value(Json(v)); }
  bool number_float(number_float_t v, const string_t&) { return Value(Json(v)); }
  bool string(string_t& v) { return Value(Json(std::move(v))); }
  bool binary(binary_t&) { return false; }  // not produced by the JSON lexer
  bool start_object(std::size_t) { return Open(Json::object()); }
  bool start_array(std::size_t) { return Open(Json::array()); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool key(string_t& k) {
    const Frame& parent = stack_.back();
    if (!parent.value) return true;
    key_tag_ = ChildTag(parent.tag, std::string_view(k));
    key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::json::exception& ex) {
    error_ = ex.what();
    position_ = position;
    return false;
  }
  const std::string& error() const { return error_; }
  size_t position() const { return position_; }

 private:
  struct Frame {
    Json* value;  // null: dropped
    int tag;
    // Key -> member index, for objects past a few keys: nlohmann's
    // ordered_map finds a key by scanning, which would make an object of N
    // keys cost N^2.
    std::unordered_map<std::string, size_t> index;
  };
  static constexpr size_t kScanKeys = 16;

  // The slot for member `key_` of the object in `frame`: the existing one
  // (a repeated key keeps its first place and its last value, as nlohmann
  // and JSON.parse do) or a new one at the end.
  Json& Member(Frame& frame) {
    auto& members = static_cast<Json::object_t::Container&>(frame.value->get_ref<Json::object_t&>());
    if (members.size() < kScanKeys) {
      for (auto& m : members)
        if (m.first == key_) return m.second;
    } else {
      if (frame.index.empty())
        for (size_t i = 0; i < members.size(); ++i) frame.index.emplace(members[i].first, i);
      if (auto it = frame.index.find(key_); it != frame.index.end()) return members[it->second].second;
      frame.index.emplace(key_, members.size());
    }
    members.emplace_back(key_, Json());
    return members.back().second;
  }

  int ChildTag(int parent, std::optional<std::string_view> key) const {
    if (parent == Filter::kKeepAll || !filter_ || !filter_->child) return Filter::kKeepAll;
    return filter_->child(parent, key);
  }

  // Places `v` where the next value goes; null if it is dropped.
  Json* Place(Json&& v) {
    if (stack_.empty()) {
      *root_ = std::move(v);
      return root_;
    }
    Frame& parent = stack_.back();
    if (!parent.value) return nullptr;
    if (parent.value->is_object()) {
      if (key_tag_ == Filter::kDrop) return nullptr;
      Json& slot = Member(parent);
      slot = std::move(v);
      return &slot;
    }
    if (ChildTag(parent.tag, std::nullopt) == Filter::kDrop) return nullptr;
    parent.value->push_back(std::move(v));
    return &parent.value->back();
  }

  int TagOfNext() const {
    if (stack_.empty()) return filter_ ? filter_->root : Filter::kKeepAll;
    const Frame& parent = stack_.back();
    if (!parent.value) return Filter::kDrop;
    return parent.value->is_object() ? key_tag_ : ChildTag(parent.tag, std::nullopt);
  }

  bool Value(Json&& v) {
    Place(std::move(v));
    return true;
  }
  bool Open(Json&& container) {
    const int tag = TagOfNext();
    Json* placed = tag == Filter::kDrop ? nullptr : Place(std::move(container));
    stack_.push_back({placed, placed ? tag : Filter::kDrop, {}});
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return true;
  }

  Json* root_;
  const Filter* filter_;
  std::vector<Frame> stack_;
  std::string key_;
  int key_tag_ = Filter::kKeepAll;
  std::string error_;
  size_t position_ = 0;
};

}  // namespace

Result<Json> Parse(std::string_view text, std::string_view label, const ParseOptions& options) {
  TFQ_RETURN_IF_ERROR(PreScan(text, label, options.max_depth));
  Json root;
  Builder builder(&root, options.filter);
  if (!Json::sax_parse(text.begin(), text.end(), &builder)) {
    // nlohmann's text is "[json.exception.parse_error.101] parse error at
    // line 2, column 5: syntax error while parsing ..." for syntax errors, but
    // has no position for others (a number too large for a double). Compute
    // the line and column from the byte offset ourselves, always.
    std::string e = builder.error();
    if (auto p = e.find("] "); p != std::string::npos && !e.empty() && e.front() == '[') e = e.substr(p + 2);
    if (auto p = e.find(": "); e.rfind("parse error at line", 0) == 0 && p != std::string::npos) e = e.substr(p + 2);
    const size_t offset = std::min(builder.position(), text.size());
    // Python's json.dump writes NaN and Infinity bare; say so plainly.
    const size_t from = offset >= 2 ? offset - 2 : 0;
    const std::string_view near = text.substr(from, 12);
    if (near.find("NaN") != std::string_view::npos || near.find("Infinity") != std::string_view::npos) {
      e = "NaN and Infinity are not JSON (Python's json.dump writes them for non-finite values); tfjs cannot "
          "load this file either";
    }
    // nlohmann quotes the offending token; it may be long or hold bytes a
    // terminal would act on.
    return ParseError(std::string(label) + ": invalid JSON at " + At(text, offset > 0 ? offset - 1 : 0) + ": " +
                      Printable(e, 300));
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
  return std::min(i + 1, t.size());
}

// Returns the index just past the JSON value starting at t[i].
size_t SkipValue(std::string_view t, size_t i) {
  if (i >= t.size()) return i;
  if (t[i] == '"') return SkipString(t, i);
  if (t[i] == '{' || t[i] == '[') {
    size_t depth = 0;
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
    case Json::value_t::string: {
      // Show at most 64 bytes (cut at a character boundary) and the size.
      constexpr size_t kShow = 64;
      const std::string& s = v.get_ref<const std::string&>();
      if (s.size() <= kShow) return "the string " + PythonStringLiteral(s);
      size_t cut = kShow;
      while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
      std::string lit = PythonStringLiteral(std::string_view(s).substr(0, cut));
      lit.pop_back();  // the closing quote
      return "the string " + lit + "...\" (" + Bytes(s.size()) + ")";
    }
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "the number " + v.dump();
    case Json::value_t::array: return "an array";
    case Json::value_t::object: return "an object";
    default: return "an unexpected value";
  }
}

}  // namespace tfq::json
