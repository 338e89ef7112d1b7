// SPDX-License-Identifier: Apache-2.0
// Python's fnmatch, implemented directly rather than through a regex so that
// matching thousands of names against a pattern list stays cheap.
#include "tfjs_quant/select.h"

namespace tfq {
namespace {

// Matches a [...] class at p[i] (p[i] == '['). Returns the index past ']' or
// npos if the class is unclosed (then '[' is a literal, as in fnmatch).
size_t MatchClass(std::string_view p, size_t i, char c, bool* matched) {
  size_t j = i + 1;
  bool negate = false;
  if (j < p.size() && p[j] == '!') {
    negate = true;
    ++j;
  }
  // A ']' right after '[' or '[!' is a member, not the end.
  size_t k = j;
  if (k < p.size() && p[k] == ']') ++k;
  while (k < p.size() && p[k] != ']') ++k;
  if (k >= p.size()) return std::string_view::npos;
  bool in = false;
  for (size_t m = j; m < k; ++m) {
    if (m + 2 < k && p[m + 1] == '-') {
      if (p[m] <= c && c <= p[m + 2]) in = true;
      m += 2;
    } else if (p[m] == c) {
      in = true;
    }
  }
  *matched = in != negate;
  return k + 1;
}

}  // namespace

bool GlobMatch(std::string_view p, std::string_view s) {
  // Iterative matcher with backtracking to the last '*'.
  size_t pi = 0, si = 0, star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size()) {
      char pc = p[pi];
      if (pc == '*') {
        star_p = pi++;
        star_s = si;
        continue;
      }
      if (pc == '?') {
        ++pi;
        ++si;
        continue;
      }
      if (pc == '[') {
        bool m = false;
        size_t next = MatchClass(p, pi, s[si], &m);
        if (next == std::string_view::npos) {
          if (s[si] == '[') {
            ++pi;
            ++si;
            continue;
          }
        } else if (m) {
          pi = next;
          ++si;
          continue;
        }
      } else if (pc == s[si]) {
        ++pi;
        ++si;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p + 1;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::vector<std::string> SplitPatterns(std::string_view list) {
  std::vector<std::string> out;
  size_t i = 0;
  while (true) {
    size_t j = list.find(',', i);
    out.emplace_back(list.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  return out;
}

std::string GlobLiteral(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '*' || c == '?' || c == '[') out += '[' + std::string(1, c) + ']';
    else out += c;
  }
  return out;
}

}  // namespace tfq
