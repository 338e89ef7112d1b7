// SPDX-License-Identifier: Apache-2.0
// pack's naming on any renames and names: the input is NUL-separated
// fields, the first one or two "REGEX=>REPLACEMENT" renames (a field
// without "=>" ends them), then a prefix if the next field starts with
// '+', the rest tensor names. Oracles: a pattern either
// compiles or is refused as an invalid argument; replacing every match by
// itself ("$&") gives every name back unchanged; a rename's result is never
// longer than the bound it was given; every name PlanPackEntries hands out
// passes the name check, however the renames grew or emptied it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_common.h"
#include "pack/rename.h"
#include "tfjs_quant/packed.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tfq;
  std::vector<std::string> fields;
  std::string_view all(reinterpret_cast<const char*>(data), size);
  while (true) {
    const size_t nul = all.find('\0');
    fields.emplace_back(all.substr(0, nul));
    if (nul == std::string_view::npos) break;
    all.remove_prefix(nul + 1);
  }
  PackNaming naming;
  size_t i = 0;
  for (; i < fields.size() && i < 2 && fields[i].find("=>") != std::string::npos; ++i) {
    naming.renames.push_back(fields[i]);
  }
  if (i < fields.size() && !fields[i].empty() && fields[i][0] == '+') naming.prefix = fields[i++].substr(1);
  std::vector<SourceTensor> sources;
  for (; i < fields.size(); ++i) {
    SourceTensor t;
    t.name = fields[i];
    t.origin = "f.safetensors";
    sources.push_back(std::move(t));
  }
  constexpr size_t kBound = 512;
  for (const std::string& spec : naming.renames) {
    auto r = Rename::Compile(spec);
    if (!r.ok()) {
      if (r.status().code() != StatusCode::kInvalidArgument) fuzz::Broken("a pattern failed as no argument error", r.status());
      continue;
    }
    auto same = Rename::Compile(spec.substr(0, spec.find("=>")) + "=>$&");
    if (!same.ok()) fuzz::Broken("a pattern compiled with one replacement and not with another", same.status());
    for (const SourceTensor& t : sources) {
      auto out = r->Apply(t.name, kBound);
      if (out.ok() && out->size() > kBound) fuzz::Broken("a rename outgrew its bound");
      if (!out.ok() && out.status().code() != StatusCode::kInvalidArgument) fuzz::Broken("a rename failed oddly", out.status());
      if (t.name.size() > kBound) continue;
      auto kept = same->Apply(t.name, kBound);
      // Over kMaxMatches matches is refused by both alike.
      if (!kept.ok() && kept.status().message().find("times; anchor it") != std::string::npos) continue;
      if (!kept.ok() || *kept != t.name) fuzz::Broken("replacing every match by itself changed a name", kept.status());
    }
  }
  auto entries = PlanPackEntries(sources, naming);
  if (entries.ok()) {
    for (const PackEntry& e : *entries) {
      Status s = CheckTensorName(e.name, "f.safetensors");
      if (!s.ok()) fuzz::Broken("a planned name fails the name check", s);
    }
  } else if (entries.status().code() == StatusCode::kInternal) {
    fuzz::Broken("planning reported an internal error", entries.status());
  }
  return 0;
}
