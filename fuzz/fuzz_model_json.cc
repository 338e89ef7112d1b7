// SPDX-License-Identifier: Apache-2.0
// The model JSON and manifest parser on any bytes. Oracles: a file that
// parses writes back (ManifestToJson) as a manifest that parses again to
// the same names, shapes, dtypes and encodings; every message is printable.
#include <cstdint>
#include <string>

#include "fuzz_common.h"
#include "tfjs_quant/manifest.h"

namespace {

bool Printable(const std::string& m) {
  for (unsigned char c : m)
    if ((c < 0x20 && c != '\n') || c == 0x7f) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tfq;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto mf = ParseModelFile(text, "model.json", fuzz::SmallLimits());
  if (!mf.ok()) {
    if (!Printable(mf.status().message())) fuzz::Broken("a message holds a control character", mf.status());
    if (mf.status().message().size() > 4096) fuzz::Broken("a message is not bounded", mf.status());
    return 0;
  }
  const std::string written = ManifestToJson(mf->groups);
  auto again = ParseModelFile(written, "written.json", fuzz::SmallLimits());
  if (!again.ok()) fuzz::Broken("a parsed manifest does not parse once written back", again.status());
  if (again->groups.size() != mf->groups.size()) fuzz::Broken("groups changed on the way back");
  for (size_t g = 0; g < mf->groups.size(); ++g) {
    const auto& a = mf->groups[g];
    const auto& b = again->groups[g];
    if (a.paths != b.paths || a.weights.size() != b.weights.size()) fuzz::Broken("a group changed on the way back");
    for (size_t i = 0; i < a.weights.size(); ++i) {
      const WeightEntry& x = a.weights[i];
      const WeightEntry& y = b.weights[i];
      if (x.name != y.name || x.shape != y.shape || x.dtype != y.dtype || x.encoding() != y.encoding() ||
          EntryToJson(x) != EntryToJson(y)) {
        fuzz::Broken("an entry changed on the way back");
      }
    }
  }
  return 0;
}
