// SPDX-License-Identifier: Apache-2.0
// Writes JSON exactly as Python's json.dump does by default, because that is
// what tensorflowjs_converter emits and what users diff against.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "json/json.h"

namespace tfq::json {

std::string PythonFloatRepr(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  // Shortest round-trip digits, as Python's repr (David Gay's mode 0).
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string s(buf, res.ptr);
  std::string out;
  if (s[0] == '-') {
    out = "-";
    s.erase(0, 1);
  }
  size_t e = s.find('e');
  std::string digits = s.substr(0, e);
  int exp10 = 0;
  // to_chars wrote "e+NN" or "e-NN"; from_chars takes no '+'.
  const char* eb = s.data() + e + 1 + (s[e + 1] == '+');
  std::from_chars(eb, s.data() + s.size(), exp10);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  int decpt = exp10 + 1;  // value = 0.DIGITS * 10^decpt
  int n = static_cast<int>(digits.size());
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0." + std::string(-decpt, '0') + digits;
    } else if (decpt >= n) {
      out += digits + std::string(decpt - n, '0') + ".0";
    } else {
      out += digits.substr(0, decpt) + "." + digits.substr(decpt);
    }
  } else {
    out += digits.substr(0, 1);
    if (n > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
    out += eb;
  }
  return out;
}

std::string PythonStringLiteral(std::string_view s) {
  std::string out = "\"";
  auto hex4 = [&out](unsigned u) {
    char b[16];
    std::snprintf(b, sizeof b, "\\u%04x", u);
    out += b;
  };
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          // ensure_ascii escapes everything outside ' '..'~', DEL included.
          if (c < 0x20 || c == 0x7f) hex4(c); else out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // Decode one UTF-8 sequence (the parser has validated it).
    unsigned cp;
    int len;
    if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; len = 2; }
    else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; len = 3; }
    else { cp = c & 0x07; len = 4; }
    for (int k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      hex4(0xD800 + (cp >> 10));
      hex4(0xDC00 + (cp & 0x3FF));
    } else {
      hex4(cp);
    }
  }
  out += "\"";
  return out;
}

namespace {

void DumpScalar(const Json& v, std::string& out) {
  switch (v.type()) {
    case Json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
    case Json::value_t::number_integer: out += std::to_string(v.get<int64_t>()); break;
    case Json::value_t::number_unsigned: out += std::to_string(v.get<uint64_t>()); break;
    case Json::value_t::number_float: out += PythonFloatRepr(v.get<double>()); break;
    case Json::value_t::string: out += PythonStringLiteral(v.get_ref<const std::string&>()); break;
    default: out += "null"; break;
  }
}

}  // namespace

// With an explicit stack of open containers rather than recursion: the
// depth of what is dumped is the input's.
std::string DumpPython(const Json& value) {
  struct Open {
    const Json* v;
    size_t next;
  };
  std::string out;
  std::vector<Open> stack;
  const Json* v = &value;
  for (;;) {
    if (v) {
      if (v->is_array()) {
        out += '[';
        stack.push_back({v, 0});
      } else if (v->is_object()) {
        out += '{';
        stack.push_back({v, 0});
      } else {
        DumpScalar(*v, out);
      }
      v = nullptr;
    }
    if (stack.empty()) break;
    Open& top = stack.back();
    const bool is_array = top.v->is_array();
    const size_t size = is_array ? top.v->get_ref<const Json::array_t&>().size()
                                 : top.v->get_ref<const Json::object_t&>().size();
    if (top.next == size) {
      out += is_array ? ']' : '}';
      stack.pop_back();
      continue;
    }
    if (top.next > 0) out += ", ";
    if (is_array) {
      v = &top.v->get_ref<const Json::array_t&>()[top.next];
    } else {
      const auto& member = *(top.v->get_ref<const Json::object_t&>().begin() + static_cast<std::ptrdiff_t>(top.next));
      out += PythonStringLiteral(member.first);
      out += ": ";
      v = &member.second;
    }
    ++top.next;
  }
  return out;
}

}  // namespace tfq::json
