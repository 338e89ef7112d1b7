// SPDX-License-Identifier: Apache-2.0
// Writes JSON exactly as Python's json.dump does by default, because that is
// what tensorflowjs_converter emits and what users diff against.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "json/json.h"

namespace tfq::json {

namespace {

// The shortest digits that read back as |v| (finite, nonzero), as Python's
// repr (David Gay's mode 0) and {fmt}'s Dragonbox both choose them, and the
// decimal point: |v| = 0.DIGITS * 10^decpt. {fmt} rather than std::to_chars
// because emscripten's libc++ 14 has no floating-point to_chars; one code
// path keeps native and WebAssembly bytes the same.
void ShortestDigits(double v, std::string* digits, int* decpt) {
  char buf[64];
  const auto end = fmt::format_to_n(buf, sizeof buf - 1, "{}", std::fabs(v)).out;
  std::string_view s(buf, static_cast<size_t>(end - buf));  // "123.45", "1e-07", "1.5e+300"
  const size_t e = std::min(s.find('e'), s.size());
  int exp10 = 0;
  for (size_t i = e + 1 + (e + 1 < s.size() && (s[e + 1] == '-' || s[e + 1] == '+')); i < s.size(); ++i)
    exp10 = exp10 * 10 + (s[i] - '0');
  if (e + 1 < s.size() && s[e + 1] == '-') exp10 = -exp10;
  const std::string_view mantissa = s.substr(0, e);
  const size_t point = std::min(mantissa.find('.'), mantissa.size());
  digits->clear();
  for (char c : mantissa)
    if (c != '.') *digits += c;
  *decpt = static_cast<int>(point) + exp10;
  const size_t lead = std::min(digits->find_first_not_of('0'), digits->size());
  digits->erase(0, lead);
  *decpt -= static_cast<int>(lead);
  digits->erase(digits->find_last_not_of('0') + 1);
}

}  // namespace

std::string PythonFloatRepr(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  std::string out = std::signbit(v) ? "-" : "";
  std::string digits;
  int decpt = 0;  // value = 0.DIGITS * 10^decpt
  ShortestDigits(v, &digits, &decpt);
  const int n = static_cast<int>(digits.size());
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
    const int exp10 = decpt - 1;
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
