// SPDX-License-Identifier: Apache-2.0
// pack's renames (src/pack/rename.h, RE2) on the names and patterns that
// made std::regex, the engine they replaced, run for minutes or crash,
// against std::regex where it still finishes. One search is linear in the
// name; std::regex's doubles with each character on '(a+)+$' (its 22- and
// 24-character rows show the trend; 40 characters took minutes). A name
// with a match at every byte takes one search per match (far_ahead): the
// work pack's rename budget bounds.
//
//   ./build/bench/tfjs_quant_rename_bench --benchmark_min_time=0.1
#include <benchmark/benchmark.h>

#include <regex>
#include <string>

#include "pack/rename.h"

namespace {

// Names of `n` bytes: n-1 'a's and a '!' that makes the pattern fail at the
// end. far_ahead_tail: 255 'a's, then 'z's up to n bytes (the most matches
// a name may have, each search running to its end).
std::string Name(int64_t n) { return std::string(static_cast<size_t>(n - 1), 'a') + "!"; }
std::string TailName(int64_t n) { return std::string(255, 'a') + std::string(static_cast<size_t>(n - 255), 'z'); }

void RenameOf(benchmark::State& state, const char* spec, const std::string& name) {
  auto r = tfq::Rename::Compile(spec);
  if (!r.ok()) return state.SkipWithError(r.status().message().c_str());
  for (auto _ : state) {
    auto out = r->Apply(name, 1 << 20);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void Rename(benchmark::State& state, const char* spec) { RenameOf(state, spec, Name(state.range(0))); }
void RenameTail(benchmark::State& state, const char* spec) { RenameOf(state, spec, TailName(state.range(0))); }

void StdRegex(benchmark::State& state, const char* pattern) {
  const std::regex re(pattern, std::regex::ECMAScript);
  const std::string name = Name(state.range(0));
  for (auto _ : state) {
    std::string out = std::regex_replace(name, re, "x");
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

BENCHMARK_CAPTURE(Rename, nested_plus, "(a+)+$=>x")->RangeMultiplier(4)->Range(16, 4096);
BENCHMARK_CAPTURE(Rename, alternation, "(a|aa)*$=>x")->RangeMultiplier(4)->Range(16, 4096);
BENCHMARK_CAPTURE(Rename, nested_groups, "(((((((((a)))))))))*=>x")->RangeMultiplier(4)->Range(16, 4096);
// With a group in the replacement RE2 extracts it with its NFA: slower,
// still linear.
BENCHMARK_CAPTURE(Rename, nested_groups_ref, "(((((((((a)))))))))*=>$9")->RangeMultiplier(4)->Range(16, 4096);
// A match at every byte, each search first trying '.*c' to the end: up to
// 256 searches (kMaxMatches) of up to n bytes; past 256 matches refused.
BENCHMARK_CAPTURE(Rename, far_ahead, ".*c|a=>b")->RangeMultiplier(4)->Range(16, 256);
BENCHMARK_CAPTURE(RenameTail, far_ahead, ".*c|a=>b")->Arg(4096)->Arg(16384);
BENCHMARK_CAPTURE(Rename, suffix, "\\.(weight|bias)$=>/$1")->RangeMultiplier(4)->Range(16, 4096);
BENCHMARK_CAPTURE(StdRegex, nested_plus, "(a+)+$")->DenseRange(16, 24, 2);
BENCHMARK_CAPTURE(StdRegex, suffix, "\\.(weight|bias)$")->RangeMultiplier(4)->Range(16, 4096);

}  // namespace
