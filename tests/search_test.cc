// SPDX-License-Identifier: Apache-2.0
// The budget language and the accuracy-guided search, driven by a fake
// evaluator whose outputs react to the real quantization error of each
// weight (encoded and decoded exactly as the writer and tfjs do), with one
// planted fragile tensor.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "search/searcher.h"
#include "testutil.h"
#include "tfjs_quant/budget.h"
#include "tfjs_quant/quantize.h"
#include "tfjs_quant/search.h"
#include "tfjs_quant/writer.h"

namespace tfq {
namespace {

using testing::Float32Weight;
using testing::StatusText;
using testing::TestGroup;

Budget B(const char* text) {
  auto b = ParseBudget(text);
  EXPECT_TRUE(b.ok()) << text;
  return b.ok() ? b.value() : Budget{};
}

TEST(Budget, ParsesConditions) {
  auto b = ParseBudget(" sqnr >= 30 , cosine>0.999,maxabs<=0.01");
  ASSERT_TRUE(b.ok()) << StatusText(b);
  ASSERT_EQ(b->conditions.size(), 3u);
  EXPECT_EQ(b->conditions[0].metric, MetricKind::kSqnr);
  EXPECT_TRUE(b->conditions[0].at_least);
  EXPECT_FALSE(b->conditions[0].strict);
  EXPECT_EQ(b->conditions[0].value, 30);
  EXPECT_TRUE(b->conditions[1].strict);
  EXPECT_EQ(b->conditions[2].metric, MetricKind::kMaxAbs);
  EXPECT_FALSE(b->conditions[2].at_least);
  auto s = ParseBudget("score<=0.02");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->uses_score());
}

TEST(Budget, ErrorsSayWhatIsAccepted) {
  for (const char* bad : {"", "sqnr", "snr>=30", "sqnr>=abc", "sqnr=>30", "sqnr<=30", "maxabs>=1", "sqnr>=30,",
                          "score>=1,sqnr>=3"}) {
    auto b = ParseBudget(bad);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(b.status().message().find("budget"), std::string::npos) << b.status().message();
  }
  EXPECT_NE(ParseBudget("snr>=30").status().message().find("unknown metric 'snr'"), std::string::npos);
  EXPECT_NE(ParseBudget("sqnr<=30").status().message().find("bounded from below"), std::string::npos);
}

// Numbers are plain decimals, read exactly (from_chars' rules, which the
// WebAssembly build's libc++ lacks).
TEST(Budget, NumbersArePlainDecimals) {
  for (const char* good : {"sqnr>=30.5", "sqnr>=.5", "sqnr>=5.", "sqnr>=1e1", "sqnr>=1E+1", "sqnr>=-2.5e-3"}) {
    auto b = ParseBudget(good);
    ASSERT_TRUE(b.ok()) << good << ": " << StatusText(b);
    EXPECT_EQ(b->conditions[0].value, std::strtod(std::string(good).substr(6).c_str(), nullptr)) << good;
  }
  for (const char* bad : {"sqnr>=+30", "sqnr>=0x1e", "sqnr>=inf", "sqnr>=nan", "sqnr>=1e400", "sqnr>=1e-400",
                          "sqnr>=.", "sqnr>=1e", "sqnr>=1.2.3", "sqnr>=3 0"}) {
    auto b = ParseBudget(bad);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.status().message().find("is not a number"), std::string::npos) << b.status().message();
  }
}

TEST(Budget, HoldsComparesEachMetric) {
  Metrics m;
  m.sqnr_db = 31;
  m.cosine = 0.9995;
  m.max_abs = 0.02;
  m.top1 = 1;
  EXPECT_TRUE(Holds(B("sqnr>=30"), m));
  EXPECT_FALSE(Holds(B("sqnr>=32"), m));
  EXPECT_FALSE(Holds(B("sqnr>31"), m));
  EXPECT_TRUE(Holds(B("cosine>=0.999"), m));
  EXPECT_FALSE(Holds(B("maxabs<=0.01"), m));
  EXPECT_FALSE(Holds(B("sqnr>=30,maxabs<=0.01"), m));
  m.non_finite = true;
  EXPECT_FALSE(Holds(B("sqnr>=0"), m));
  EXPECT_EQ(DescribeMetrics(B("sqnr>=30"), Metrics{}), "sqnr exact");
}

TEST(Summarize, WorstOverInputsAndOutputs) {
  Measurement m;
  m.samples.push_back({0, 0, 4, 100, 1, 0.5, 99, 99, 2, 2, 0});  // 20 dB
  m.samples.push_back({1, 0, 4, 100, 10, 2, 90, 90, 1, 3, 0});   // 10 dB, arg-max differs
  m.samples.push_back({0, 1, 4, 100, 0, 0, 100, 100, 1, 1, 0});  // exact
  Metrics s = Summarize(m);
  EXPECT_NEAR(s.sqnr_db, 10, 1e-9);
  EXPECT_EQ(s.max_abs, 2);
  EXPECT_EQ(s.top1, 0.5);  // output 0: 1 of 2 inputs agree; output 1: 1 of 1
  EXPECT_LT(s.cosine, 1);
}

// A model of `n` tensors; tensor `fragile` has a few huge values so that
// uint8 flattens the rest of it.
std::string BuildModel(MemoryFiles& files, int n, int fragile) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1, 1);
  TestGroup g;
  for (int t = 0; t < n; ++t) {
    std::vector<float> v(1024 + 64 * t);
    for (auto& x : v) x = u(rng);
    if (t == fragile) {
      for (auto& x : v) x *= 0.01f;
      v[0] = 50;
      v[1] = -50;
    }
    g.weights.push_back(Float32Weight("layer" + std::to_string(t) + "/kernel", "[" + std::to_string(v.size()) + "]", v));
  }
  return testing::PutModel(files, {g});
}

// Outputs react to each weight's relative quantization error as a network
// does: damage adds up over tensors, each with its own sensitivity, and a
// little differently on every input. Every call is recorded.
class FakeEvaluator : public Evaluator {
 public:
  FakeEvaluator(const Model& model, int inputs, std::vector<double> sensitivity)
      : model_(model), inputs_(inputs), sens_(std::move(sensitivity)) {}
  int num_inputs() const override { return inputs_; }
  Result<Measurement> Evaluate(std::span<const Target> plan, std::span<const int> inputs) override {
    calls.push_back({std::vector<Target>(plan.begin(), plan.end()), std::vector<int>(inputs.begin(), inputs.end())});
    double rel = 0;  // sum over tensors of sensitivity * weight error power / signal power
    for (size_t i = 0; i < plan.size(); ++i) rel += sens_[i] * RelError(i, plan[i]);
    Measurement m;
    std::vector<int> which(inputs.begin(), inputs.end());
    if (which.empty())
      for (int k = 0; k < inputs_; ++k) which.push_back(k);
    for (int k : which) {
      Sample s;
      s.input = k;
      s.output = 0;
      s.n = 100;
      s.sig = 100;
      s.err = 100 * rel * (1 + 0.1 * k);  // input k a bit more sensitive
      s.max_abs = std::sqrt(s.err / 100) * 3;
      s.dot = s.sig - s.err / 2;
      s.nout = s.sig + s.err;
      m.samples.push_back(s);
    }
    m.inferences = static_cast<int64_t>(which.size());
    return m;
  }
  struct Call {
    std::vector<Target> plan;
    std::vector<int> inputs;
  };
  std::vector<Call> calls;

 private:
  double RelError(size_t i, Target t) {
    if (t == Target::kKeep || t == Target::kRaw) return 0;
    auto key = std::make_pair(i, t);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    std::vector<float> x;
    EXPECT_TRUE(model_.DecodeFloat32(model_.tensors()[i], &x).ok());
    auto enc = EncodeTensor(model_, i, t);
    EXPECT_TRUE(enc.ok());
    std::vector<float> y(x.size());
    if (t == Target::kFloat16) {
      for (size_t k = 0; k < x.size(); ++k)
        y[k] = HalfBitsToFloat(static_cast<uint16_t>(enc->bytes[2 * k] | enc->bytes[2 * k + 1] << 8));
    } else {
      // Decoded as tfjs does, with the entry's min and scale.
      const Quantization& q = *enc->entry.quantization;
      DecodeToFloat32(q.dtype, enc->bytes.data(), x.size(), q.min, q.scale, y.data());
    }
    double sig = 0, err = 0;
    for (size_t k = 0; k < x.size(); ++k) {
      sig += double(x[k]) * x[k];
      err += (double(x[k]) - y[k]) * (double(x[k]) - y[k]);
    }
    return cache_[key] = err / sig;
  }
  const Model& model_;
  int inputs_;
  std::vector<double> sens_;
  std::map<std::pair<size_t, Target>, double> cache_;
};

struct Fixture {
  MemoryFiles files;
  std::unique_ptr<Model> model;
  std::vector<SearchTensor> tensors;
  Fixture(int n, int fragile) {
    std::string name = BuildModel(files, n, fragile);
    auto m = Model::Open(files, name);
    EXPECT_TRUE(m.ok()) << StatusText(m);
    model = std::make_unique<Model>(std::move(m).value());
    auto t = SearchTensors(*model);
    EXPECT_TRUE(t.ok());
    tensors = std::move(t).value();
  }
};

TEST(Search, KeepsExactlyThePlantedFragileTensorAboveUint8) {
  const int n = 24, fragile = 13;
  Fixture f(n, fragile);
  // The network amplifies the small values the huge ones hide.
  std::vector<double> sens(n, 1.0);
  sens[fragile] = 1e4;
  FakeEvaluator ev(*f.model, 8, sens);
  SearchOptions opt;
  opt.budget = B("sqnr>=30");
  auto r = Search(*f.model, f.tensors, ev, opt);
  ASSERT_TRUE(r.ok()) << StatusText(r);
  for (int i = 0; i < n; ++i) {
    if (i == fragile) {
      EXPECT_NE(r->plan[static_cast<size_t>(i)], Target::kUint8) << r->choices[static_cast<size_t>(i)].why;
    } else {
      EXPECT_EQ(r->plan[static_cast<size_t>(i)], Target::kUint8) << i << ": " << r->choices[static_cast<size_t>(i)].why;
    }
  }
  // The fragile tensor spans decades: float16 serves it better than uint16.
  EXPECT_EQ(r->plan[fragile], Target::kFloat16);
  EXPECT_NE(r->choices[fragile].why.find("alone at uint8"), std::string::npos) << r->choices[fragile].why;
  EXPECT_FALSE(r->all_uint8_holds);
  EXPECT_GE(r->verified.sqnr_db, 30);
  // Fewer evaluations than one per tensor, and screening ran on 2 inputs.
  EXPECT_LT(r->evaluations, n);
  for (const auto& c : ev.calls) {
    std::string line;
    for (Target t : c.plan) line += t == Target::kUint8 ? '8' : t == Target::kKeep ? '.' : 'h';
    if (::testing::Test::HasFailure()) std::printf("%s %zu\n", line.c_str(), c.inputs.size());
  }
  EXPECT_EQ(static_cast<size_t>(r->evaluations), ev.calls.size());
  int64_t inferences = 0;
  for (const auto& c : ev.calls) inferences += c.inputs.empty() ? 8 : static_cast<int64_t>(c.inputs.size());
  EXPECT_EQ(r->inferences, inferences);
  EXPECT_LT(r->inferences, 8 * n / 2);
}

TEST(Search, TheChosenPlanIsMeasuredOnEveryInputNotAssumed) {
  Fixture f(16, 3);
  FakeEvaluator ev(*f.model, 8, std::vector<double>(16, 1.0));
  SearchOptions opt;
  opt.budget = B("sqnr>=30");
  auto r = Search(*f.model, f.tensors, ev, opt);
  ASSERT_TRUE(r.ok()) << StatusText(r);
  bool seen = false;
  for (const auto& c : ev.calls) seen |= c.plan == r->plan && c.inputs.empty();
  EXPECT_TRUE(seen) << "the returned plan was never evaluated on every input";
  // And the verified figure is that evaluation's, not a prediction.
  FakeEvaluator again(*f.model, 8, std::vector<double>(16, 1.0));
  auto m = again.Evaluate(r->plan, {});
  ASSERT_TRUE(m.ok());
  EXPECT_DOUBLE_EQ(Summarize(*m).sqnr_db, r->verified.sqnr_db);
}

TEST(Search, AllUint8WithinBudgetCostsOneEvaluation) {
  Fixture f(10, -1);
  FakeEvaluator ev(*f.model, 8, std::vector<double>(10, 0.01));
  SearchOptions opt;
  opt.budget = B("sqnr>=30");
  auto r = Search(*f.model, f.tensors, ev, opt);
  ASSERT_TRUE(r.ok()) << StatusText(r);
  EXPECT_TRUE(r->all_uint8_holds);
  EXPECT_EQ(r->evaluations, 1);
  for (Target t : r->plan) EXPECT_EQ(t, Target::kUint8);
}

TEST(Search, ASensitiveTensorThat16BitCannotSaveStaysFloat32) {
  const int n = 12;
  Fixture f(n, -1);
  std::vector<double> sens(n, 1.0);
  sens[5] = 1e12;  // even uint16/float16 error wrecks the outputs
  FakeEvaluator ev(*f.model, 4, sens);
  SearchOptions opt;
  opt.budget = B("sqnr>=30");
  auto r = Search(*f.model, f.tensors, ev, opt);
  ASSERT_TRUE(r.ok()) << StatusText(r);
  EXPECT_EQ(r->plan[5], Target::kKeep) << r->choices[5].why;
  EXPECT_GE(r->verified.sqnr_db, 30);
  for (int i = 0; i < n; ++i)
    if (i != 5) EXPECT_EQ(r->plan[static_cast<size_t>(i)], Target::kUint8) << i;
}

TEST(Search, ImpossibleBudgetFailsClearly) {
  Fixture f(4, -1);
  FakeEvaluator ev(*f.model, 2, std::vector<double>(4, 1.0));
  SearchOptions opt;
  opt.budget = B("cosine>=1.5");
  auto r = Search(*f.model, f.tensors, ev, opt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kBudgetUnreachable);
  EXPECT_NE(r.status().message().find("cannot be met"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("every tensor float32"), std::string::npos) << r.status().message();
  EXPECT_TRUE(ev.calls.empty());
}

// A user's score (--eval-cmd): measured for float32 first; a float32 model
// that misses the budget makes it impossible.
class ScoreEvaluator : public Evaluator {
 public:
  explicit ScoreEvaluator(double f32) : f32_(f32) {}
  int num_inputs() const override { return 0; }
  Result<Measurement> Evaluate(std::span<const Target> plan, std::span<const int>) override {
    ++calls;
    Measurement m;
    double s = f32_;
    for (size_t i = 0; i < plan.size(); ++i) s -= plan[i] == Target::kUint8 ? (i == 2 ? 0.05 : 0.001) : 0.0;
    m.score = s;
    return m;
  }
  int calls = 0;

 private:
  double f32_;
};

TEST(Search, ScoreBudgets) {
  Fixture f(8, -1);
  ScoreEvaluator bad(0.90);
  SearchOptions opt;
  opt.budget = B("score>=0.95");
  auto r = Search(*f.model, f.tensors, bad, opt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("score 0.9"), std::string::npos) << r.status().message();

  ScoreEvaluator good(0.98);
  auto g = Search(*f.model, f.tensors, good, opt);
  ASSERT_TRUE(g.ok()) << StatusText(g);
  EXPECT_NE(g->plan[2], Target::kUint8) << g->choices[2].why;
  ASSERT_TRUE(g->verified.score.has_value());
  EXPECT_GE(*g->verified.score, 0.95);
  EXPECT_NE(g->choices[2].why.find("score"), std::string::npos) << g->choices[2].why;
}

// maxabs has no direct link to err/sig: it is calibrated on all-uint8, and
// the verified plan must hold it on every input.
TEST(Search, MaxAbsAndCosineBudgetsHoldOnEveryInput) {
  const int n = 16, fragile = 4;
  Fixture f(n, fragile);
  std::vector<double> sens(n, 1.0);
  sens[fragile] = 1e4;
  for (const char* budget : {"maxabs<=0.01", "cosine>=0.99999", "sqnr>=35,maxabs<=0.02"}) {
    FakeEvaluator ev(*f.model, 8, sens);
    SearchOptions opt;
    opt.budget = B(budget);
    auto r = Search(*f.model, f.tensors, ev, opt);
    ASSERT_TRUE(r.ok()) << budget << ": " << StatusText(r);
    EXPECT_TRUE(Holds(opt.budget, r->verified)) << budget << ": " << DescribeMetrics(opt.budget, r->verified);
    EXPECT_NE(r->plan[fragile], Target::kUint8) << budget;
    EXPECT_FALSE(r->all_uint8_holds) << budget;
  }
}

TEST(Search, SearchIsDeterministic) {
  Fixture f(20, 7);
  std::vector<Target> first;
  for (int k = 0; k < 2; ++k) {
    FakeEvaluator ev(*f.model, 8, std::vector<double>(20, 1.0));
    SearchOptions opt;
    opt.budget = B("sqnr>=35");
    auto r = Search(*f.model, f.tensors, ev, opt);
    ASSERT_TRUE(r.ok());
    if (k == 0) first = r->plan;
    else EXPECT_EQ(first, r->plan);
  }
}

// The session handed out step by step, answered by hand, gives what the
// search run straight through gives: the same requests in the same order,
// the same plan and reasons, and every progress report and log line once.
TEST(SearchSession, SteppedByHandEqualsTheSearchRunStraightThrough) {
  Fixture f(20, 7);
  std::vector<double> sens(20, 1.0);
  sens[3] = 40;  // a second sensitive tensor: 16-bit measured, several rounds
  auto options = [](std::vector<std::string>* log, int* reports) {
    SearchOptions opt;
    opt.budget = B("sqnr>=38");
    opt.log = [log](const std::string& line) { log->push_back(line); };
    opt.progress = [reports](const SearchProgress&) { ++*reports; };
    return opt;
  };
  std::vector<std::string> straight_log, stepped_log;
  int straight_reports = 0, stepped_reports = 0;
  FakeEvaluator straight_ev(*f.model, 8, sens);
  auto straight = RunSearcher(f.tensors, straight_ev, options(&straight_log, &straight_reports));
  ASSERT_TRUE(straight.ok()) << StatusText(straight);

  FakeEvaluator answers(*f.model, 8, sens);
  SearchSession session(f.tensors, options(&stepped_log, &stepped_reports), 8);
  std::vector<FakeEvaluator::Call> asked;
  for (;;) {
    auto next = session.Next();
    ASSERT_TRUE(next.ok()) << StatusText(next);
    if (!*next) break;
    // Asking again before answering hands out the same request.
    auto again = session.Next();
    ASSERT_TRUE(again.ok() && *again);
    EXPECT_EQ((*again)->plan, (*next)->plan);
    asked.push_back({(*next)->plan, (*next)->inputs});
    auto m = answers.Evaluate((*next)->plan, (*next)->inputs);
    ASSERT_TRUE(m.ok());
    ASSERT_TRUE(session.Give(*m).ok());
  }
  ASSERT_EQ(asked.size(), straight_ev.calls.size());
  for (size_t k = 0; k < asked.size(); ++k) {
    EXPECT_EQ(asked[k].plan, straight_ev.calls[k].plan) << k;
    EXPECT_EQ(asked[k].inputs, straight_ev.calls[k].inputs) << k;
  }
  EXPECT_GT(asked.size(), 10u);
  EXPECT_EQ(session.result().plan, straight->plan);
  EXPECT_EQ(session.result().evaluations, straight->evaluations);
  ASSERT_EQ(session.result().choices.size(), straight->choices.size());
  for (size_t i = 0; i < straight->choices.size(); ++i) EXPECT_EQ(session.result().choices[i].why, straight->choices[i].why);
  // Once done, nothing more is asked, taken or logged.
  auto done = session.Next();
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(*done);
  EXPECT_EQ(session.Give(Measurement{}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(stepped_log, straight_log);
  EXPECT_FALSE(straight_log.empty());
  EXPECT_EQ(stepped_reports, straight_reports);
}

// A failure ends the session: every later call says it again.
TEST(SearchSession, AFailureIsKept) {
  Fixture f(6, 2);
  SearchOptions opt;
  opt.budget = B("score>=0.9");  // the float32 model must give a finite score
  SearchSession session(f.tensors, opt, 0);
  auto first = session.Next();
  ASSERT_TRUE(first.ok() && *first);
  Measurement no_score;  // the evaluator gave none
  ASSERT_TRUE(session.Give(no_score).ok());
  auto failed = session.Next();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kEvaluatorFailed);
  EXPECT_EQ(session.Next().status().message(), failed.status().message());
  EXPECT_EQ(session.Give(no_score).code(), StatusCode::kEvaluatorFailed);
}

}  // namespace
}  // namespace tfq
