// SPDX-License-Identifier: Apache-2.0
// Escaping and cutting text taken from the input before it is shown.
#include "tfjs_quant/text.h"

#include <cstdint>
#include <cstdio>

namespace tfq {
namespace {

// Length of the valid UTF-8 sequence at s[i] and its code point; 0 if the
// bytes there are not valid UTF-8 (overlong forms and surrogates included).
size_t Utf8At(std::string_view s, size_t i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  size_t len;
  uint32_t v, min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2, v = c & 0x1Fu, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, v = c & 0x0Fu, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, v = c & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(k) & 0x3Fu);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

// Code points that are invisible or reorder what follows on a terminal.
bool Hidden(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) ||                     // C1 controls
         cp == 0x061C || cp == 0x200E || cp == 0x200F ||    // direction marks
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||  // bidi overrides, isolates
         (cp >= 0x200B && cp <= 0x200D) || (cp >= 0x2060 && cp <= 0x2064) || cp == 0xFEFF ||  // zero width
         cp == 0x2028 || cp == 0x2029;                     // line and paragraph separators
}

}  // namespace

bool IsUtf8(std::string_view s) {
  uint32_t cp;
  for (size_t i = 0; i < s.size();) {
    const size_t len = Utf8At(s, i, &cp);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string Printable(std::string_view s, size_t max_bytes) {
  std::string out;
  char buf[16];
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    const size_t len = Utf8At(s, i, &cp);
    std::string_view piece;
    if (len == 0) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(s[i]));
      piece = buf;
    } else if (cp == '\n') {
      piece = "\\n";
    } else if (cp == '\t') {
      piece = "\\t";
    } else if (cp == '\r') {
      piece = "\\r";
    } else if (cp < 0x20 || cp == 0x7F) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      piece = buf;
    } else if (Hidden(cp)) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      piece = buf;
    } else {
      piece = s.substr(i, len);
    }
    if (out.size() + piece.size() > max_bytes) {
      return out + "...(" + Bytes(s.size()) + ")";
    }
    out += piece;
    i += len == 0 ? 1 : len;
  }
  return out;
}

std::string Quoted(std::string_view s, size_t max_bytes) { return "'" + Printable(s, max_bytes) + "'"; }

std::string Bytes(unsigned long long n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

}  // namespace tfq
