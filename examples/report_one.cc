// SPDX-License-Identifier: Apache-2.0
// tfjs_quant::report: the JSON `tfjs-quant inspect --json` prints, for a
// model held in memory, sizes on the wire included.
#include <tfjs_quant/report.h>
#include <tfjs_quant/tfjs_quant.h>

#include <cstdio>
#include <string>

int main() {
  float w[256];
  for (int i = 0; i < 256; ++i) w[i] = static_cast<float>(i % 17) * 0.25f;
  const std::string json =
      R"({"format": "graph-model", "weightsManifest": [{"paths": ["w.bin"], "weights": [)"
      R"({"name": "w", "shape": [256], "dtype": "float32"}]}]})";
  tfq::SpanFiles in;
  in.Add("model.json", json);
  in.Add("w.bin", std::string_view(reinterpret_cast<const char*>(w), sizeof w));
  auto model = tfq::Model::Open(in, "model.json");
  if (!model.ok()) return std::fprintf(stderr, "error: %s\n", model.status().message().c_str()), 1;
  auto view = tfq::BuildInspectView(*model, "model.json", /*wire=*/true);
  if (!view.ok()) return std::fprintf(stderr, "error: %s\n", view.status().message().c_str()), 1;
  std::printf("report: %llu bytes stored, %llu gzip\n", static_cast<unsigned long long>(view->totals[0].bytes),
              static_cast<unsigned long long>(view->totals[0].gzip));
  std::fputs(tfq::RenderInspectJson(*view).substr(0, 40).c_str(), stdout);
  return 0;
}
