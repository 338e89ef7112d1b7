// SPDX-License-Identifier: Apache-2.0
// pack's renames over RE2 (rename.h).
#include "pack/rename.h"

#include <re2/re2.h>

#include <algorithm>
#include <new>

#include "tfjs_quant/text.h"

namespace tfq {

namespace {

// A piece of the replacement: literal text, or what to copy from the match.
struct Piece {
  enum Kind { kText, kGroup, kBefore, kAfter } kind = kText;
  std::string text;
  int group = 0;  // kGroup: 0 is the whole match ($&)
};

// The replacement as pieces, resolved against the pattern's group count as
// JavaScript resolves "$12" (group 12 if there is one, else group 1 then
// "2", else the text as written).
std::vector<Piece> ParseReplacement(std::string_view r, int groups) {
  std::vector<Piece> out;
  auto text = [&](std::string_view t) {
    if (out.empty() || out.back().kind != Piece::kText) out.push_back({});
    out.back().text += t;
  };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i] != '$' || i + 1 == r.size()) {
      text(r.substr(i, 1));
      continue;
    }
    const char c = r[i + 1];
    if (c == '$') {
      text("$");
      ++i;
    } else if (c == '&') {
      out.push_back({Piece::kGroup, {}, 0});
      ++i;
    } else if (c == '`') {
      out.push_back({Piece::kBefore, {}, 0});
      ++i;
    } else if (c == '\'') {
      out.push_back({Piece::kAfter, {}, 0});
      ++i;
    } else if (digit(c)) {
      const int one = c - '0';
      const bool has_two = i + 2 < r.size() && digit(r[i + 2]);
      const int two = has_two ? one * 10 + (r[i + 2] - '0') : 0;
      if (has_two && two >= 1 && two <= groups) {
        out.push_back({Piece::kGroup, {}, two});
        i += 2;
      } else if (one >= 1 && one <= groups) {
        out.push_back({Piece::kGroup, {}, one});
        ++i;
      } else {
        text("$");
      }
    } else {
      text("$");
    }
  }
  return out;
}

// Bytes in the UTF-8 sequence that starts with `lead` (1 for a stray byte).
size_t SequenceBytes(unsigned char lead) {
  if (lead >= 0xF0 && lead <= 0xF7) return 4;
  if (lead >= 0xE0) return lead <= 0xEF ? 3 : 1;
  if (lead >= 0xC0) return 2;
  return 1;
}

}  // namespace

struct Rename::Engine {
  explicit Engine(std::string_view pattern, const RE2::Options& o) : re(re2::StringPiece(pattern.data(), pattern.size()), o) {}
  RE2 re;
  std::vector<Piece> pieces;
  // Groups asked for: only those the replacement uses. The match's bounds
  // alone take RE2's DFA; each group more takes a slower (still linear)
  // engine over the match.
  int groups = 1;
};

Rename::Rename(Rename&&) noexcept = default;
Rename& Rename::operator=(Rename&&) noexcept = default;
Rename::~Rename() = default;

Result<Rename> Rename::Compile(std::string_view spec) {
  const size_t arrow = spec.find("=>");
  if (arrow == std::string_view::npos) {
    return InvalidArgument("rename " + Quoted(spec) + ": expected 'REGEX=>REPLACEMENT'");
  }
  if (spec.size() > kMaxSpecBytes) {
    return InvalidArgument("rename " + Quoted(spec) + ": " + Bytes(spec.size()) + " long; at most " +
                           Bytes(kMaxSpecBytes));
  }
  RE2::Options options;
  options.set_log_errors(false);  // the error is returned, not printed
  options.set_max_mem(8 << 20);   // RE2's default, said here: a pattern compiles within 8 MiB or is refused
  Rename r;
  r.spec_ = std::string(spec);
  r.replacement_ = std::string(spec.substr(arrow + 2));
  r.engine_.reset(new (std::nothrow) Engine(spec.substr(0, arrow), options));
  if (!r.engine_) return OutOfMemory("rename " + Quoted(spec));
  const RE2& re = r.engine_->re;
  if (!re.ok()) {
    return InvalidArgument("rename " + Quoted(spec) + ": not a valid regular expression (" +
                           Printable(re.error(), 200) + "; syntax: docs/pack.md)");
  }
  if (re.ProgramSize() > kMaxProgram || re.ReverseProgramSize() > kMaxProgram) {
    return InvalidArgument("rename " + Quoted(spec) + ": the pattern compiles to " +
                           std::to_string(std::max(re.ProgramSize(), re.ReverseProgramSize())) +
                           " instructions; a rename may take " + std::to_string(kMaxProgram) + " (simplify it)");
  }
  if (!IsUtf8(r.replacement_)) return InvalidArgument("rename " + Quoted(spec) + ": the replacement is not UTF-8");
  r.engine_->pieces = ParseReplacement(r.replacement_, re.NumberOfCapturingGroups());
  for (const Piece& p : r.engine_->pieces)
    if (p.kind == Piece::kGroup) r.engine_->groups = std::max(r.engine_->groups, p.group + 1);
  return r;
}

Result<std::string> Rename::Apply(std::string_view name, size_t max_bytes) const {
  const RE2& re = engine_->re;
  const re2::StringPiece text(name.data(), name.size());
  std::vector<re2::StringPiece> match(static_cast<size_t>(engine_->groups));
  std::string out;
  size_t pos = 0;  // where the next search starts; text before it is in `out`
  auto too_long = [&] {
    return InvalidArgument("rename " + Quoted(spec_) + " makes the name " + Quoted(name) + " longer than " +
                       Bytes(max_bytes));
  };
  size_t matches = 0;
  while (pos <= name.size() &&
         re.Match(text, pos, name.size(), RE2::UNANCHORED, match.data(), static_cast<int>(match.size()))) {
    // Each search may look far past its match (".*x|y" tries ".*x" to the
    // end of the name at every 'y'): the matches are bounded, so that a
    // name costs at most kMaxMatches + 1 searches over it.
    if (++matches > kMaxMatches) {
      return InvalidArgument("rename " + Quoted(spec_) + " matches " + Quoted(name) + " more than " +
                             std::to_string(kMaxMatches) + " times; anchor it (^...$) or make it match less");
    }
    const size_t start = static_cast<size_t>(match[0].data() - name.data());
    const size_t end = start + match[0].size();
    out.append(name.substr(pos, start - pos));
    for (const Piece& p : engine_->pieces) {
      switch (p.kind) {
        case Piece::kText: out += p.text; break;
        case Piece::kGroup: out.append(match[p.group].data() ? match[p.group].data() : "", match[p.group].size()); break;
        case Piece::kBefore: out.append(name.substr(0, start)); break;
        case Piece::kAfter: out.append(name.substr(end)); break;
      }
      if (out.size() > max_bytes) return too_long();
    }
    if (end > start) {
      pos = end;
      continue;
    }
    // An empty match: keep the character after it and search on from the
    // next one, as JavaScript does (else the search would stop here).
    if (start == name.size()) {
      pos = name.size() + 1;
      break;
    }
    const size_t step = std::min(SequenceBytes(static_cast<unsigned char>(name[start])), name.size() - start);
    out.append(name.substr(start, step));
    pos = start + step;
  }
  if (pos < name.size()) out.append(name.substr(pos));
  if (out.size() > max_bytes) return too_long();
  return out;
}

}  // namespace tfq
