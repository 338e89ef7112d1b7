// SPDX-License-Identifier: Apache-2.0
// The report library's JSON: inspect --json (the same data as the table;
// schema in docs/inspect.md) and the JavaScript package's diff().
#include <cmath>

#include "json/nlohmann.h"
#include "tfjs_quant/report.h"

namespace tfq {
namespace {
using Json = nlohmann::ordered_json;

// JSON has no infinity or NaN: an exact decode (infinite SQNR), and what a
// NaN weight makes NaN, are null.
Json Num(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json Estimate(const ErrorEstimate& e) {
  Json j = Json::object();
  j["sqnr_db"] = Num(e.sqnr_db);
  j["worst_channel_sqnr_db"] = Num(e.worst_channel_sqnr_db);
  j["worst_channel"] = e.worst_channel;
  j["max_abs_error"] = e.max_abs_error;
  return j;
}
}  // namespace

std::string RenderInspectJson(const InspectView& v) {
  Json root = Json::object();
  root["model"] = v.model_path;
  root["format"] = v.format;
  Json totals = Json::object();
  const char* names[] = {"stored", "uint8", "uint16", "float16"};
  for (size_t k = 0; k < kNumVariants; ++k) {
    totals[names[k]] = {{"bytes", v.totals[k].bytes}, {"gzip", v.totals[k].gzip}, {"brotli", v.totals[k].brotli}};
  }
  root["totals"] = totals;
  Json tensors = Json::array();
  for (size_t i : RiskOrder(v.report)) {
    const auto& t = v.report.tensors[i];
    Json j = Json::object();
    j["name"] = t.name;
    j["dtype"] = std::string(DTypeName(t.dtype));
    j["shape"] = t.shape;
    j["elements"] = t.elements;
    j["stored_encoding"] = t.stored == Encoding::kRaw ? std::string(DTypeName(t.dtype)) : std::string(EncodingName(t.stored));
    j["stored_bytes"] = t.stored_bytes;
    j["quantizable"] = t.quantizable;
    j["risk"] = std::string(t.risk == Risk::kNone ? "none" : RiskName(t.risk));
    j["reason"] = t.reason;
    if (t.quantizable) {
      j["min"] = t.min;
      j["max"] = t.max;
      j["mean"] = t.mean;
      j["std"] = t.std;
      j["zero_share"] = t.zero_share;
      j["nan_count"] = t.nan_count;
      j["inf_count"] = t.inf_count;
      j["channel_axis"] = t.channel_axis;
      j["channel_axis_reason"] = t.channel_axis_reason;
      j["channels"] = t.channels;
      j["dead_channels"] = t.dead_channels;
      j["uint8"] = Estimate(t.uint8);
      j["uint16"] = Estimate(t.uint16);
      j["float16"] = Estimate(t.float16);
      j["uint8_levels_used"] = t.uint8_levels_used;
      j["worst_channel_range_share"] = t.worst_channel_range_share;
      j["worst_channel_levels"] = t.worst_channel_levels;
      j["float16_overflow"] = t.float16_overflow;
      j["float16_underflow"] = t.float16_underflow;
      // What inspect --html draws: the values' histogram and the uint8 codes.
      j["histogram"] = t.histogram;
      j["uint8_grid"] = {{"min", t.uint8_params.min}, {"scale", t.uint8_params.scale},
                         {"constant", t.uint8_params.constant}};
    }
    tensors.push_back(std::move(j));
  }
  root["tensors"] = tensors;
  return root.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string RenderDiffJson(const DiffReport& r) {
  Json tensors = Json::array();
  for (const TensorDiff& d : r.tensors) {
    tensors.push_back({{"name", d.name},
                       {"dtype", std::string(DTypeName(d.dtype))},
                       {"a", std::string(EncodingName(d.a))},
                       {"b", std::string(EncodingName(d.b))},
                       {"bytesOnly", d.bytes_only},
                       {"differs", d.differs},
                       {"maxAbsError", Num(d.max_abs)},
                       {"rmse", Num(d.rmse)},
                       {"sqnrDb", Num(d.sqnr_db)},
                       {"cosine", Num(d.cosine)}});
  }
  Json root = Json::object();
  root["tensors"] = std::move(tensors);
  root["differ"] = r.differ;
  return root.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace tfq
