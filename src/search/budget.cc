// SPDX-License-Identifier: Apache-2.0
#include "tfjs_quant/budget.h"

#include "tfjs_quant/text.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <clocale>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tfq {
namespace {

struct Known {
  const char* name;
  MetricKind kind;
  bool higher_is_better;
};
constexpr Known kKnown[] = {
    {"sqnr", MetricKind::kSqnr, true},     {"cosine", MetricKind::kCosine, true}, {"maxabs", MetricKind::kMaxAbs, false},
    {"top1", MetricKind::kTop1, true},     {"score", MetricKind::kScore, true},
};

// A plain decimal: [-]digits[.digits][e[+|-]digits], at least one digit
// before the exponent (no hex, no "inf", no leading '+' or space).
bool IsDecimal(std::string_view s) {
  size_t i = s.starts_with('-') ? 1 : 0, digits = 0;
  auto run = [&] {
    size_t n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++n;
    return n;
  };
  digits += run();
  if (i < s.size() && s[i] == '.') ++i, digits += run();
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (run() == 0) return false;
  }
  return i == s.size();
}

// strtod rather than std::from_chars, which emscripten's libc++ 14 lacks for
// floating point. strtod reads the locale's decimal point, so the '.' the
// grammar allows becomes that character first (as nlohmann/json does): a
// program that called setlocale still reads "30.5" as 30.5. Out of range
// (overflow, or underflow to zero or a subnormal) is refused.
bool ParseDouble(std::string s, double* v) {
  const char point = *std::localeconv()->decimal_point;
  if (point != '.') std::replace(s.begin(), s.end(), '.', point);
  char* end = nullptr;
  errno = 0;
  *v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && errno != ERANGE;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

Result<Condition> ParseCondition(const std::string& part, const std::string& whole) {
  const std::string accepted =
      " (expected METRIC OP NUMBER, e.g. 'sqnr>=30', 'cosine>=0.999', 'maxabs<=0.01', 'top1>=0.99', "
      "'score>=0.95'; OP is >=, >, <= or <)";
  size_t op = part.find_first_of("<>=");
  if (op == std::string::npos) return InvalidArgument("budget " + Quoted(whole) + ": no comparison in " + Quoted(part) + accepted);
  std::string name = Trim(part.substr(0, op));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Condition c;
  const Known* k = nullptr;
  for (const auto& kn : kKnown)
    if (name == kn.name) k = &kn;
  if (!k) return InvalidArgument("budget " + Quoted(whole) + ": unknown metric " + Quoted(name) + accepted);
  c.metric = k->kind;
  std::string rest = part.substr(op);
  std::string ops;
  if (rest.rfind(">=", 0) == 0 || rest.rfind("<=", 0) == 0) ops = rest.substr(0, 2);
  else if (rest[0] == '>' || rest[0] == '<') ops = rest.substr(0, 1);
  else return InvalidArgument("budget " + Quoted(whole) + ": " + Quoted(rest.substr(0, 2)) + " is not a comparison" + accepted);
  c.at_least = ops[0] == '>';
  c.strict = ops.size() == 1;
  std::string num = Trim(rest.substr(ops.size()));
  if (!IsDecimal(num) || !ParseDouble(num, &c.value) || !std::isfinite(c.value)) {
    return InvalidArgument("budget " + Quoted(whole) + ": " + Quoted(num) + " is not a number" + accepted);
  }
  // A bound in the direction that only gets easier with less precision would
  // make the search meaningless ("sqnr<=30": all-uint8 is not the goal).
  if (c.metric != MetricKind::kScore && c.at_least != k->higher_is_better) {
    return InvalidArgument("budget " + Quoted(whole) + ": " + std::string(k->name) + " must be bounded from " +
                           (k->higher_is_better ? "below (" + name + ">=...)" : "above (" + name + "<=...)"));
  }
  return c;
}

}  // namespace

std::string_view MetricName(MetricKind m) {
  for (const auto& k : kKnown)
    if (k.kind == m) return k.name;
  return "?";
}

bool Budget::uses_score() const {
  for (const auto& c : conditions)
    if (c.metric == MetricKind::kScore) return true;
  return false;
}
bool Budget::uses_reference() const {
  for (const auto& c : conditions)
    if (c.metric != MetricKind::kScore) return true;
  return false;
}

Result<Budget> ParseBudget(std::string_view text) {
  Budget b;
  b.text = Trim(text);
  if (b.text.empty()) return InvalidArgument("the budget is empty (e.g. 'sqnr>=30')");
  size_t start = 0;
  while (start <= b.text.size()) {
    size_t comma = b.text.find(',', start);
    std::string part = Trim(b.text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (part.empty()) return InvalidArgument("budget " + Quoted(b.text) + ": empty condition between commas");
    TFQ_ASSIGN_OR_RETURN(Condition c, ParseCondition(part, b.text));
    b.conditions.push_back(c);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (b.uses_score() && b.uses_reference()) {
    return InvalidArgument("budget " + Quoted(b.text) +
                           ": 'score' is the number an evaluator of your own prints and cannot be combined with "
                           "sqnr/cosine/maxabs/top1");
  }
  return b;
}

double MetricValue(const Metrics& m, MetricKind k) {
  switch (k) {
    case MetricKind::kSqnr: return m.sqnr_db;
    case MetricKind::kCosine: return m.cosine;
    case MetricKind::kMaxAbs: return m.max_abs;
    case MetricKind::kTop1: return m.top1;
    case MetricKind::kScore: return m.score ? *m.score : std::nan("");
  }
  return std::nan("");
}

bool Holds(const Condition& c, const Metrics& m) {
  if (m.non_finite && c.metric != MetricKind::kScore) return false;
  double v = MetricValue(m, c.metric);
  if (std::isnan(v)) return false;
  if (c.at_least) return c.strict ? v > c.value : v >= c.value;
  return c.strict ? v < c.value : v <= c.value;
}

bool Holds(const Budget& b, const Metrics& m) {
  for (const auto& c : b.conditions)
    if (!Holds(c, m)) return false;
  return true;
}

std::string DescribeMetrics(const Budget& b, const Metrics& m) {
  std::string out;
  char buf[64];
  bool seen[kNumMetrics] = {};
  for (const auto& c : b.conditions) {
    auto i = static_cast<size_t>(c.metric);
    if (seen[i]) continue;
    seen[i] = true;
    double v = MetricValue(m, c.metric);
    if (c.metric == MetricKind::kSqnr) {
      if (std::isinf(v)) std::snprintf(buf, sizeof buf, "sqnr %s", v > 0 ? "exact" : "-inf dB");
      else std::snprintf(buf, sizeof buf, "sqnr %.1f dB", v);
    } else {
      std::snprintf(buf, sizeof buf, "%s %.6g", MetricName(c.metric).data(), v);
    }
    if (!out.empty()) out += ", ";
    out += buf;
  }
  if (m.non_finite) out += " (outputs hold NaN/Inf)";
  return out;
}

}  // namespace tfq
