// SPDX-License-Identifier: Apache-2.0
// pack's renames ("REGEX=>REPLACEMENT"): regular expressions run over
// tensor names taken from untrusted files, so the engine is RE2, whose
// search time is linear in the name (no backtracking), whose parser and
// compiler use explicit stacks (no recursion on the pattern's depth) and
// whose memory is bounded per pattern. The same engine runs in the native
// build (Debian's libre2) and in WebAssembly (the same release, built from
// Debian's source: cmake/wasm_deps.cmake).
//
// Replacing every match takes one search per match, and a search may look
// far past the match it finds (".*x|y" tries ".*x" to the end of the name
// at every 'y'): n matches would be n searches over a name of n bytes. So
// a rename takes at most kMaxMatches matches per name, and a pattern's
// program at most kMaxProgram instructions: the time of a rename is linear
// in the names' bytes, whatever the names hold.
//
// Syntax: RE2's (docs/pack.md): Perl/ECMAScript-like classes, groups,
// alternation and repetition, without backreferences or lookaround, which
// no linear-time engine can offer. Replacement: $1..$99, $& (the match),
// $` and $' (the text before and after it), $$ (a dollar); any other $
// stays as written, as in JavaScript's String.prototype.replace. Every
// match is replaced, left to right; an empty match is replaced and then
// the next character is kept, as JavaScript's replace with the g flag.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tfjs_quant/status.h"

namespace tfq {

class Rename {
 public:
  // The longest pattern accepted: far above any real one; with RE2's own
  // memory bound, it keeps one compiled pattern small.
  static constexpr size_t kMaxSpecBytes = 4096;
  // The largest compiled program accepted, in RE2 instructions: a real
  // rename takes 10 to 30, a Unicode class (\pL) about 1,200.
  static constexpr int kMaxProgram = 10000;
  // The most matches one name may have: a real rename has one or two.
  static constexpr size_t kMaxMatches = 256;

  // Parses "REGEX=>REPLACEMENT" (split at the first "=>"). kInvalidArgument
  // for a spec without "=>", a pattern RE2 refuses (with RE2's reason), one
  // too long or too large to compile, or a replacement that is not UTF-8.
  static Result<Rename> Compile(std::string_view spec);

  Rename(Rename&&) noexcept;
  Rename& operator=(Rename&&) noexcept;
  ~Rename();

  // `name` with every match replaced. Refused as soon as it would grow past
  // `max_bytes`, or with more than kMaxMatches matches (kInvalidArgument,
  // naming the spec and the name), so no chain of renames can build an
  // unbounded name.
  Result<std::string> Apply(std::string_view name, size_t max_bytes) const;

  const std::string& spec() const { return spec_; }

 private:
  struct Engine;
  Rename() = default;
  std::unique_ptr<Engine> engine_;
  std::string spec_, replacement_;
};

}  // namespace tfq
