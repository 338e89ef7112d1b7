// SPDX-License-Identifier: Apache-2.0
// The accuracy-guided search; the method is described in search.h and
// docs/auto.md. "Damage" is what the search adds up: per (input, output)
// the error power over the signal power (err/sig, i.e. 10^(-SQNR/10)) for
// budgets on the outputs, or the score's change for --eval-cmd budgets.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

#include "search/searcher.h"
#include "tfjs_quant/search.h"
#include "tfjs_quant/text.h"
#include "util/log10.h"

namespace tfq {
namespace {

constexpr double kFirstTarget = 0.8;    // first target, as a share of the allowed damage
// A group is not split further once its damage per element is at most this
// share of the target's average per element: finding which part of such a
// group to promote would buy little.
constexpr double kHarmlessShare = 1.0;
constexpr int kMaxRounds = 8;           // verifications before falling back to float32
constexpr int kRelaxTries = 2;          // looser tries once a plan holds...
constexpr double kRelaxBelow = 0.8;     // ...with at least 1 dB to spare
// Above this damage (20 dB) a group is far from harmless: when it is small
// (kDirect) its members are measured one by one rather than halved.
constexpr double kLinear = 0.01;
// Above this damage (10 dB) outputs saturate: a tensor's 16-bit damage is
// measured rather than predicted from its uint8 damage.
constexpr double kSaturated = 0.1;
// Tensors under this many values (biases, batch-norm factors) are screened
// and promoted as one group: promoting all of them costs little.
constexpr uint64_t kSmallTensor = 256;
// A tensor whose 16-bit damage is above this share of the allowed damage
// also has its other 16-bit type measured.
constexpr double kRecheck16 = 0.1;
// A damaged group this small, and this many times over its allowance, is
// measured member by member.
constexpr double kCrowded = 4;
constexpr size_t kDirect = 8;

using Vec = std::vector<double>;

// Damage of broken outputs (NaN/Inf, or any error on an all-zero output):
// finite, so that damages still add up and compare.
constexpr double kBroken = 1e30;

double SampleDamage(const Sample& s) {
  if (s.non_finite > 0) return kBroken;
  if (s.err == 0) return 0;
  if (s.sig == 0) return kBroken;
  return std::min(kBroken, s.err / s.sig);
}

double MaxOf(const Vec& v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }

// A leaf of the bisection: tensors promoted together.
struct Unit {
  std::vector<size_t> members;  // indices into tensors
  Vec d8;                       // damage per slot with the unit at uint8, the rest float32
  double ratio16 = 0;           // predicted damage at 16-bit over damage at uint8
  Vec d16;                      // damage at the members' 16-bit types
  bool d16_measured = false;    // else predicted from the weight errors
  std::optional<Target> t16;    // a single tensor's measured better 16-bit type
  Target Type16(size_t i, std::span<const SearchTensor> t) const { return t16 ? *t16 : t[i].best16; }
  uint64_t elements = 0;
  uint64_t bytes32 = 0;         // as stored: float32, or the input's own encoding
  int level = 0;                // 0 uint8, 1 16-bit, 2 float32 (as stored)
};

class Searcher {
 public:
  Searcher(std::span<const SearchTensor> tensors, Evaluator& ev, const SearchOptions& opt)
      : tensors_(tensors), ev_(ev), opt_(opt) {}

  Result<SearchResult> Run();

 private:
  std::vector<Target> Uniform(Target t) const { return UniformPlan(tensors_, t); }
  std::vector<Target> PlanOf(const std::vector<Unit>& units) const;
  Result<Measurement> Measure(const std::vector<Target>& plan, bool all_inputs, bool counted = true);
  Vec Damage(const Measurement& m) const;
  double Ratio(const Condition& c, const Metrics& m) const;
  double WorstRatio(const Metrics& m) const;
  void Log(const std::string& line) const {
    if (opt_.log) opt_.log(line);
  }
  void Report(const char* phase, int pending) {
    if (opt_.progress) opt_.progress({result_.evaluations, result_.evaluations + pending, phase});
  }
  Status Bisect(std::vector<Unit>* units);
  Status Settle(Unit& u);
  void Greedy(std::vector<Unit>* units, double target) const;
  void Explain(const std::vector<Unit>& units);
  std::string EffectText(double damage) const;

  std::span<const SearchTensor> tensors_;
  Evaluator& ev_;
  const SearchOptions& opt_;
  SearchResult result_;
  std::map<std::string, Measurement> cache_;
  std::vector<int> screen_;          // inputs used while screening (empty: all)
  std::map<std::pair<int, int>, size_t> slot_;  // (input, output) -> slot
  double score0_ = 0;                // --eval-cmd: the float32 model's score
  double allowed_ = 0;               // damage the budget allows
  Metrics u8_metrics_;
};

std::vector<Target> Searcher::PlanOf(const std::vector<Unit>& units) const {
  std::vector<Target> plan(tensors_.size(), Target::kKeep);
  for (const Unit& u : units)
    for (size_t i : u.members)
      plan[i] = u.level == 0 ? Target::kUint8 : u.level == 1 ? u.Type16(i, tensors_) : Target::kKeep;
  return plan;
}

Result<Measurement> Searcher::Measure(const std::vector<Target>& plan, bool all_inputs, bool counted) {
  const bool subset = !all_inputs && !screen_.empty();
  std::string key(subset ? "s" : "a");
  for (Target t : plan) key.push_back(static_cast<char>('0' + static_cast<int>(t)));
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  if (subset) {
    // A full measurement of the same plan answers a screening one too.
    key[0] = 'a';
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    key[0] = 's';
  }
  std::span<const int> inputs = subset ? std::span<const int>(screen_) : std::span<const int>();
  TFQ_ASSIGN_OR_RETURN(Measurement m, ev_.Evaluate(plan, inputs));
  if (counted) {
    ++result_.evaluations;
    result_.inferences += m.inferences;
  } else {
    ++result_.comparison_evaluations;
  }
  cache_.emplace(key, m);
  return m;
}

Vec Searcher::Damage(const Measurement& m) const {
  if (opt_.budget.uses_score()) {
    if (!m.score || !std::isfinite(*m.score)) return {kBroken};
    const Condition& c = opt_.budget.conditions.front();
    return {std::min(kBroken, std::max(0.0, c.at_least ? score0_ - *m.score : *m.score - score0_))};
  }
  Vec d(slot_.size(), 0.0);
  for (const Sample& s : m.samples) {
    auto it = slot_.find({s.input, s.output});
    if (it == slot_.end()) continue;
    d[it->second] = SampleDamage(s);
  }
  return d;
}

// How far a measurement is from a condition's edge, in damage units: 1 on
// the edge, above 1 outside the budget.
double Searcher::Ratio(const Condition& c, const Metrics& m) const {
  if (m.non_finite && c.metric != MetricKind::kScore) return INFINITY;
  switch (c.metric) {
    case MetricKind::kSqnr: return std::pow(10.0, (c.value - m.sqnr_db) / 10);
    case MetricKind::kCosine: return c.value >= 1 ? (m.cosine >= 1 ? 0 : INFINITY) : (1 - m.cosine) / (1 - c.value);
    case MetricKind::kMaxAbs: return c.value <= 0 ? (m.max_abs == 0 ? 0 : INFINITY) : std::pow(m.max_abs / c.value, 2);
    case MetricKind::kTop1: return Holds(c, m) ? 0.5 : 4.0;  // no smooth link to damage: halve or quarter
    case MetricKind::kScore: {
      if (!m.score) return INFINITY;
      double allow = std::abs(c.value - score0_);
      double change = std::max(0.0, c.at_least ? score0_ - *m.score : *m.score - score0_);
      return allow > 0 ? change / allow : (change > 0 ? INFINITY : 0);
    }
  }
  return INFINITY;
}

double Searcher::WorstRatio(const Metrics& m) const {
  double r = 0;
  for (const auto& c : opt_.budget.conditions) r = std::max(r, Ratio(c, m));
  return r;
}

std::string Searcher::EffectText(double damage) const {
  char buf[96];
  if (opt_.budget.uses_score()) {
    std::snprintf(buf, sizeof buf, "score %+.4g", opt_.budget.conditions.front().at_least ? -damage : damage);
  } else if (damage <= 0) {
    std::snprintf(buf, sizeof buf, "outputs exact");
  } else if (damage >= kBroken) {
    std::snprintf(buf, sizeof buf, "outputs break (NaN/Inf or -inf dB)");
  } else {
    std::snprintf(buf, sizeof buf, "outputs at %.1f dB", -10 * Log10(damage));
  }
  return buf;
}

// Completes a unit's figures: predicts its 16-bit damage from the weight
// errors, and measures it instead when the unit alone breaks the outputs: far
// from the linear regime the weight errors no longer predict it.
Status Searcher::Settle(Unit& u) {
  if (!u.d16_measured) {
    u.d16.resize(u.d8.size());
    for (size_t s = 0; s < u.d8.size(); ++s) u.d16[s] = u.d8[s] * u.ratio16;
  }
  if (!u.d16_measured && MaxOf(u.d8) > kSaturated) {
    std::vector<Target> plan(tensors_.size(), Target::kKeep);
    for (size_t i : u.members) plan[i] = tensors_[i].best16;
    TFQ_ASSIGN_OR_RETURN(Measurement m, Measure(plan, false));
    u.d16 = Damage(m);
    u.d16_measured = true;
    // Still costly at 16-bit: the weights' choice of float16 vs uint16 may be
    // the wrong one for the outputs. One tensor: measure the other type too.
    if (u.members.size() == 1 && MaxOf(u.d16) > kRecheck16 * allowed_) {
      const size_t i = u.members[0];
      const Target other = tensors_[i].best16 == Target::kFloat16 ? Target::kUint16 : Target::kFloat16;
      plan[i] = other;
      TFQ_ASSIGN_OR_RETURN(Measurement mo, Measure(plan, false));
      Vec d = Damage(mo);
      if (MaxOf(d) < MaxOf(u.d16)) {
        u.d16 = std::move(d);
        u.t16 = other;
      }
    }
  }
  return Status::Ok();
}

// Splits tensors, riskiest first, until every group's uint8 damage is either
// a small share of the target or belongs to one tensor. Small tensors (biases,
// batch-norm factors) form one group that is never split: promoting all of
// them costs little.
Status Searcher::Bisect(std::vector<Unit>* units) {
  std::vector<size_t> order, small;
  uint64_t all_elements = 0;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    if (!tensors_[i].searchable) continue;
    (tensors_[i].elements < kSmallTensor ? small : order).push_back(i);
    all_elements += tensors_[i].elements;
  }
  if (order.empty()) order.swap(small);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return tensors_[a].uint8_worst_channel_db < tensors_[b].uint8_worst_channel_db;
  });
  struct Node {
    size_t begin, end;
    Vec d;  // measured: every group is measured as a whole
  };
  auto elements = [&](size_t b, size_t e) {
    uint64_t n = 0;
    for (size_t k = b; k < e; ++k) n += tensors_[order[k]].elements;
    return n;
  };
  auto uint8_plan = [&](std::span<const size_t> members) {
    std::vector<Target> plan(tensors_.size(), Target::kKeep);
    for (size_t i : members) plan[i] = Target::kUint8;
    return plan;
  };
  auto range = [&](size_t b, size_t e) { return std::span<const size_t>(order).subspan(b, e - b); };
  const double target = kFirstTarget * allowed_;
  // The damage a group may do and still be settled without splitting.
  auto allowance = [&](uint64_t n) {
    double share = all_elements ? static_cast<double>(n) / static_cast<double>(all_elements) : 1;
    return kHarmlessShare * target * share;
  };
  auto harmless = [&](const Vec& d, uint64_t n) { return MaxOf(d) <= allowance(n); };
  auto add_unit = [&](std::span<const size_t> members, Vec d) -> Status {
    Unit u;
    for (size_t i : members) {
      const SearchTensor& t = tensors_[i];
      u.members.push_back(i);
      u.elements += t.elements;
      u.bytes32 += t.stored == Encoding::kRaw ? 4 * t.elements : t.stored_bytes;
      double s16 = t.best16 == Target::kFloat16 ? t.float16_db : t.uint16_db;
      // Output noise scales with weight noise power: the 16-bit error over
      // the uint8 error of the same weights predicts the 16-bit damage.
      double r = std::isinf(t.uint8_db) || std::isinf(s16) ? 0 : std::pow(10.0, -(s16 - t.uint8_db) / 10);
      u.ratio16 = std::max(u.ratio16, r);
    }
    u.d8 = std::move(d);
    TFQ_RETURN_IF_ERROR(Settle(u));
    units->push_back(std::move(u));
    return Status::Ok();
  };

  // The large tensors' root is all-uint8 itself when there are no small ones
  // (a cached measurement then).
  TFQ_ASSIGN_OR_RETURN(Measurement root, Measure(uint8_plan(order), false));
  if (!small.empty()) {
    TFQ_ASSIGN_OR_RETURN(Measurement ms, Measure(uint8_plan(small), false));
    TFQ_RETURN_IF_ERROR(add_unit(small, Damage(ms)));
  }
  std::vector<Node> stack{{0, order.size(), Damage(root)}};
  while (!stack.empty()) {
    Node n = std::move(stack.back());
    stack.pop_back();
    {
      // Worst case: every pending tensor measured alone, plus verification.
      int pending = 3;
      for (const Node& p : stack) pending += static_cast<int>(p.end - p.begin);
      Report("screening", pending + static_cast<int>(n.end - n.begin));
    }
    const size_t size = n.end - n.begin;
    if (size == 0) continue;
    const bool settled = harmless(n.d, elements(n.begin, n.end));
    if (size == 1 || settled) {
      TFQ_RETURN_IF_ERROR(add_unit(range(n.begin, n.end), std::move(n.d)));
      continue;
    }
    // Measure each member when a damaged group is small, both halves
    // otherwise. A half's damage is never taken as the group's minus the
    // other half's: output errors of different weights can cancel, and the
    // cancellation is gone once the other half is promoted.
    // A small group far over its allowance likely holds several culprits:
    // measuring each member costs less than halving down to them.
    const bool crowded = MaxOf(n.d) > kLinear || MaxOf(n.d) > kCrowded * allowance(elements(n.begin, n.end));
    const size_t step = size <= kDirect && crowded ? 1 : (size + 1) / 2;
    for (size_t b = n.end; b > n.begin;) {
      size_t e = b;
      b = b >= n.begin + step ? b - step : n.begin;
      TFQ_ASSIGN_OR_RETURN(Measurement m, Measure(uint8_plan(range(b, e)), false));
      stack.push_back({b, e, Damage(m)});
    }
  }
  return Status::Ok();
}

// Promotes units (uint8 -> 16-bit -> float32), best damage removed per byte
// added first, until the predicted worst slot is at most `target`. The
// promotion order does not depend on `target`: a smaller target continues
// the same sequence.
void Searcher::Greedy(std::vector<Unit>* units, double target) const {
  auto contribution = [](const Unit& u, int level, size_t s) {
    return level == 0 ? u.d8[s] : level == 1 ? u.d16[s] : 0.0;
  };
  auto bytes = [](const Unit& u, int level) {
    return static_cast<double>(level == 0 ? u.elements : level == 1 ? 2 * u.elements : u.bytes32);
  };
  for (Unit& u : *units) u.level = 0;
  if (units->empty()) return;
  const size_t slots = units->front().d8.size();
  Vec cur(slots, 0.0);
  for (const Unit& u : *units)
    for (size_t s = 0; s < slots; ++s) cur[s] += u.d8[s];
  Vec next(slots);
  while (MaxOf(cur) > target) {
    const double now = MaxOf(cur);
    double best_gain = 0;
    size_t best = units->size();
    for (size_t k = 0; k < units->size(); ++k) {
      const Unit& u = (*units)[k];
      if (u.level >= 2) continue;
      for (size_t s = 0; s < slots; ++s)
        next[s] = std::max(0.0, cur[s] - contribution(u, u.level, s) + contribution(u, u.level + 1, s));
      double added = bytes(u, u.level + 1) - bytes(u, u.level);
      double gain = (now - MaxOf(next)) / std::max(added, 1.0);
      if (gain > best_gain) {
        best_gain = gain;
        best = k;
      }
    }
    if (best == units->size()) break;  // nothing lowers the worst slot any further
    Unit& u = (*units)[best];
    for (size_t s = 0; s < slots; ++s)
      cur[s] = std::max(0.0, cur[s] - contribution(u, u.level, s) + contribution(u, u.level + 1, s));
    ++u.level;
  }
}

void Searcher::Explain(const std::vector<Unit>& units) {
  result_.choices.assign(tensors_.size(), {});
  for (size_t i = 0; i < tensors_.size(); ++i) {
    result_.choices[i].target = Target::kKeep;
    if (!tensors_[i].searchable) result_.choices[i].why = tensors_[i].kept_reason;
  }
  char buf[256];
  for (const Unit& u : units) {
    const double d8 = MaxOf(u.d8);
    for (size_t i : u.members) {
      const SearchTensor& t = tensors_[i];
      TensorChoice& c = result_.choices[i];
      c.target = result_.plan[i];
      c.group_size = static_cast<int>(u.members.size());
      if (!opt_.budget.uses_score()) c.alone_db = d8 > 0 ? -10 * Log10(d8) : INFINITY;
      std::string alone = u.members.size() == 1
                              ? "alone at uint8: " + EffectText(d8) + " (measured)"
                              : "its group of " + std::to_string(u.members.size()) + " tensors at uint8: " +
                                    EffectText(d8) + " (measured)";
      if (u.level == 0) {
        c.why = alone;
      } else if (u.level == 1) {
        std::snprintf(buf, sizeof buf, "; at %s %s (%s; weight SQNR float16 %.1f dB, uint16 %.1f dB)",
                      std::string(TargetName(u.Type16(i, tensors_))).c_str(), EffectText(MaxOf(u.d16)).c_str(),
                      u.d16_measured ? "measured" : "predicted", t.float16_db, t.uint16_db);
        c.why = alone + buf;
      } else {
        c.why = alone + "; at " + std::string(TargetName(u.Type16(i, tensors_))) + " " + EffectText(MaxOf(u.d16)) + " (" +
                (u.d16_measured ? "measured" : "predicted") + "): kept " +
                (t.stored == Encoding::kRaw ? "float32" : "as stored");
      }
    }
  }
}

Result<SearchResult> Searcher::Run() {
  const Budget& budget = opt_.budget;
  if (budget.conditions.empty()) return InvalidArgument("the budget has no condition");
  bool has_searchable = false;
  for (const auto& t : tensors_) has_searchable |= t.searchable;

  // The float32 model: exact for budgets on the outputs; measured for a
  // user's score, which has no reference to be exact against.
  Metrics exact;
  if (budget.uses_score()) {
    TFQ_ASSIGN_OR_RETURN(Measurement m0, Measure(Uniform(Target::kKeep), true));
    exact = Summarize(m0);
    if (!exact.score || !std::isfinite(*exact.score)) {
      return EvaluatorFailed("the evaluator gave no finite score for the float32 model");
    }
    score0_ = *exact.score;
  }
  if (!Holds(budget, exact)) {
    return BudgetUnreachable("the budget " + Quoted(budget.text) + " cannot be met: with every tensor float32 (as stored) " +
                           (budget.uses_score() ? "the model measures " + DescribeMetrics(budget, exact)
                                                : "the outputs are exact (" + DescribeMetrics(budget, exact) + ")") +
                           ", and no quantized model can do better");
  }

  // 1. All-uint8 on every input.
  Report("all-uint8", 8);
  TFQ_ASSIGN_OR_RETURN(Measurement mu8, Measure(Uniform(Target::kUint8), true));
  u8_metrics_ = result_.all_uint8 = Summarize(mu8);
  result_.all_uint8_holds = Holds(budget, u8_metrics_);
  if (opt_.compare) {
    TFQ_ASSIGN_OR_RETURN(Measurement mf16, Measure(Uniform(Target::kFloat16), true, false));
    result_.all_float16 = Summarize(mf16);
  }
  if (result_.all_uint8_holds || !has_searchable) {
    result_.plan = Uniform(Target::kUint8);
    result_.verified = u8_metrics_;
    std::vector<Unit> units;
    for (size_t i = 0; i < tensors_.size(); ++i) {
      if (!tensors_[i].searchable) continue;
      Unit u;
      u.members = {i};
      units.push_back(u);
    }
    Explain(units);
    for (size_t i = 0; i < tensors_.size(); ++i)
      if (tensors_[i].searchable) result_.choices[i].why = "every tensor at uint8 already holds the budget";
    return result_;
  }

  // 2. Screening inputs: those all-uint8 hurt most.
  if (budget.uses_score()) {
    slot_[{0, 0}] = 0;
  } else {
    std::map<int, double> per_input;
    for (const Sample& s : mu8.samples) {
      per_input[s.input] = std::max(per_input[s.input], SampleDamage(s));
    }
    std::vector<std::pair<double, int>> ranked;
    for (auto [input, v] : per_input) ranked.push_back({-v, input});
    std::sort(ranked.begin(), ranked.end());
    const int n = ev_.num_inputs();
    if (opt_.screen_inputs > 0 && n > opt_.screen_inputs) {
      for (int k = 0; k < opt_.screen_inputs && k < static_cast<int>(ranked.size()); ++k)
        screen_.push_back(ranked[static_cast<size_t>(k)].second);
      std::sort(screen_.begin(), screen_.end());
    }
    for (const Sample& s : mu8.samples) {
      if (!screen_.empty() && !std::binary_search(screen_.begin(), screen_.end(), s.input)) continue;
      slot_.emplace(std::make_pair(s.input, s.output), slot_.size());
    }
  }

  // The damage the budget allows. Outputs: SQNR and cosine map onto err/sig
  // directly; maxabs grows with the error's amplitude, calibrated on
  // all-uint8; top1 has no smooth link and starts at 30 dB.
  allowed_ = INFINITY;
  const double d_u8 = MaxOf(Damage(mu8));
  for (const auto& c : budget.conditions) {
    double a = INFINITY;
    switch (c.metric) {
      case MetricKind::kSqnr: a = std::pow(10.0, -c.value / 10); break;
      case MetricKind::kCosine: a = 2 * std::max(0.0, 1 - c.value); break;
      case MetricKind::kMaxAbs:
        if (u8_metrics_.max_abs > 0 && std::isfinite(d_u8)) a = d_u8 * std::pow(c.value / u8_metrics_.max_abs, 2);
        else a = 1e-3;
        break;
      case MetricKind::kTop1: a = 1e-3; break;
      case MetricKind::kScore: a = std::abs(c.value - score0_); break;
    }
    allowed_ = std::min(allowed_, a);
  }

  std::vector<Unit> units;
  TFQ_RETURN_IF_ERROR(Bisect(&units));

  // 3 + 4. Promote, verify, adjust.
  double target = kFirstTarget * allowed_;
  std::optional<std::vector<Target>> accepted;
  for (int round = 0; round < kMaxRounds && !accepted; ++round) {
    Greedy(&units, target);
    std::vector<Target> plan = PlanOf(units);
    Report("verifying", 2);
    TFQ_ASSIGN_OR_RETURN(Measurement m, Measure(plan, true));
    Metrics got = Summarize(m);
    double ratio = WorstRatio(got);
    {
      char buf[200];
      std::snprintf(buf, sizeof buf, "verify round %d: target %.3g, %llu bytes, measured %s (%.2fx the allowed damage)",
                    round, target, static_cast<unsigned long long>(PlanBytes(tensors_, plan)),
                    DescribeMetrics(budget, got).c_str(), ratio);
      Log(buf);
    }
    if (Holds(budget, got)) {
      accepted = plan;
      result_.verified = got;
      // Room to spare: looser tries, each verified (top1 gives no measure of room).
      bool measurable = true;
      for (const auto& c : budget.conditions) measurable &= c.metric != MetricKind::kTop1;
      double held = target, loose_target = target * std::min(8.0, 0.9 / std::max(ratio, 1e-9));
      for (int k = 0; k < kRelaxTries && measurable && ratio < kRelaxBelow; ++k) {
        std::vector<Unit> loose = units;
        Greedy(&loose, loose_target);
        std::vector<Target> lplan = PlanOf(loose);
        if (PlanBytes(tensors_, lplan) >= PlanBytes(tensors_, *accepted)) break;
        Report("relaxing", kRelaxTries - k);
        TFQ_ASSIGN_OR_RETURN(Measurement ml, Measure(lplan, true));
        Metrics lgot = Summarize(ml);
        Log("relax: target " + std::to_string(loose_target) + ", " + std::to_string(PlanBytes(tensors_, lplan)) +
            " bytes, measured " + DescribeMetrics(budget, lgot));
        if (Holds(budget, lgot)) {
          accepted = lplan;
          result_.verified = lgot;
          units = std::move(loose);
          held = loose_target;
          ratio = WorstRatio(lgot);
          loose_target = held * std::min(8.0, 0.9 / std::max(ratio, 1e-9));
        } else {
          loose_target = std::sqrt(held * loose_target);  // halfway, in dB
        }
      }
      // `units` must describe the accepted plan for Explain().
      Greedy(&units, held);
      break;
    }
    // Missed: tighten by the measured miss (at least by 30%).
    double factor = std::isfinite(ratio) && ratio > 0 ? std::min(0.7, 0.9 / ratio) : 0.1;
    target *= factor;
  }
  if (!accepted) {
    // Every verification missed: everything float32 (as stored) is exact.
    for (Unit& u : units) u.level = 2;
    std::vector<Target> plan = PlanOf(units);
    TFQ_ASSIGN_OR_RETURN(Measurement m, Measure(plan, true));
    result_.verified = Summarize(m);
    accepted = plan;
  }
  result_.plan = *accepted;
  Explain(units);
  return result_;
}

}  // namespace

Result<SearchResult> RunSearcher(std::span<const SearchTensor> tensors, Evaluator& evaluator,
                                 const SearchOptions& options) {
  Searcher s(tensors, evaluator, options);
  return s.Run();
}

}  // namespace tfq
