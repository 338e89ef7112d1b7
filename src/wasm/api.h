// SPDX-License-Identifier: Apache-2.0
// What the WebAssembly edge's files share (api.cc: the one-call commands;
// search_session.cc: `auto`'s session over several calls).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "json/json.h"
#include "tfjs_quant/tfjs_quant.h"

namespace tfq::wasm {

using json::Json;

// Input files as JavaScript added them: owned buffers, checked and read in
// place (SpanFiles) when a request runs.
struct Files {
  struct File {
    std::string name;
    std::unique_ptr<uint8_t[]> bytes;
    size_t size = 0;
  };
  std::vector<File> added;
};

struct Output {
  int code = 0;
  std::string text;  // the report (JSON) or the error message
  MemoryFiles files;
  std::vector<std::string> order;  // files in the order written, JSON last
};

Status BadOption(std::string_view name, std::string_view expected, const Json& found);
Result<Limits> ToLimits(const Json& request);
Result<WriteOptions> ToWriteOptions(const Json& request);
Json ReportJson(const WriteReport& r);
// The files as a source, under their normalized names, and the names of
// the .json files at the top. `folder` non-empty: only the files under it.
Status OpenFiles(const Files& in, std::string_view folder, SpanFiles* source, std::vector<std::string>* json_names);
Result<std::string> ModelJsonName(const Json& request, const char* member, const std::vector<std::string>& json_names,
                                  std::string_view where);
Status CheckMembers(const Json& request, std::string_view command, std::initializer_list<std::string_view> known);

// The search session (search_session.cc). searchOpen takes `in`'s files.
Status SearchOpen(const Json& request, Files& in, Output* out);
Status SearchNext(const Json& request, Output* out);
Status SearchWrite(const Json& request, Output* out);
Status SearchCheck(const Json& request, Output* out);
Status SearchClose(const Json& request, Output* out);

}  // namespace tfq::wasm
