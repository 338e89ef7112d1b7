// SPDX-License-Identifier: Apache-2.0
// The manifest's shard paths: what every loader (browser fetch, Node's
// path.join, Python's os.path.join) resolves to the same file inside the
// model's folder, and nothing else.
#include <vector>

#include "tfjs_quant/manifest.h"
#include "tfjs_quant/text.h"

namespace tfq {

namespace {
// Longer paths are refused: no file system takes them (PATH_MAX).
constexpr size_t kMaxPathBytes = 4096;
// One name in a folder (NAME_MAX).
constexpr size_t kMaxFileNameBytes = 255;
}  // namespace

Result<std::string> CheckRelativePath(std::string_view path) {
  const std::string shown = Quoted(path);
  if (path.empty()) return UnsafePath("an empty path names no file");
  if (path.size() > kMaxPathBytes) return UnsafePath(shown + " is longer than 4096 bytes");
  for (size_t i = 0; i < path.size(); ++i) {
    const auto c = static_cast<unsigned char>(path[i]);
    // C0 controls, DEL, and C1 controls (U+0080..U+009F: 0xC2 0x80..0x9F).
    const bool c1 = c == 0xC2 && i + 1 < path.size() && static_cast<unsigned char>(path[i + 1]) <= 0x9F;
    if (c < 0x20 || c == 0x7f || c1) return UnsafePath(shown + " holds a control character");
  }
  if (path.front() == '/') {
    return UnsafePath(shown + " is absolute; shard paths must be relative to the model's folder");
  }
  if (path.find('\\') != std::string_view::npos) {
    return UnsafePath(shown + " holds a backslash; shard paths are separated by '/'");
  }
  if (path.find(':') != std::string_view::npos) {
    return UnsafePath(shown + " holds ':' (a URL or a drive letter); shard paths must be relative to the model's folder");
  }
  if (path.find_first_of("?#") != std::string_view::npos) {
    return UnsafePath(shown + " holds '?' or '#', which a browser would take for a query or a fragment");
  }
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    const std::string_view part = path.substr(i, j - i);
    if (part == "..") {
      if (parts.empty()) return UnsafePath(shown + " leaves the model's folder");
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  if (parts.empty()) return UnsafePath(shown + " names no file");
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

Status CheckPlainFileName(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.find_first_of(std::string_view("/\0", 2)) != std::string_view::npos) {
    return InvalidArgument(Quoted(name) + " is not a plain file name");
  }
  if (name.size() > kMaxFileNameBytes) {
    return InvalidArgument(Quoted(name) + " is " + Bytes(name.size()) + " long; a file name may take " +
                           Bytes(kMaxFileNameBytes));
  }
  return Status::Ok();
}

Status CheckOutputFileName(std::string_view name) {
  TFQ_RETURN_IF_ERROR(CheckPlainFileName(name));
  auto checked = CheckRelativePath(name);
  if (!checked.ok()) return InvalidArgument(checked.status().message());
  return Status::Ok();
}

Result<std::string> ChooseModelJson(std::span<const std::string> json_names, std::string_view folder) {
  for (const auto& j : json_names)
    if (j == "model.json") return j;
  if (json_names.size() == 1) return json_names[0];
  const std::string* manifest = nullptr;
  size_t manifests = 0;
  for (const auto& j : json_names)
    if (std::string_view(j).ends_with("weights_manifest.json")) manifest = &j, ++manifests;
  if (manifests == 1) return *manifest;
  if (json_names.empty()) return NotFound(std::string(folder) + ": no model.json or other .json file in this folder");
  std::string list;
  for (size_t i = 0; i < json_names.size() && i < 6; ++i) list += (i ? ", " : "") + Printable(json_names[i], 80);
  if (json_names.size() > 6) list += " and " + std::to_string(json_names.size() - 6) + " more";
  return InvalidArgument(std::string(folder) + ": no model.json and several .json files (" + list +
                         "); name the model's JSON file instead of the folder");
}

}  // namespace tfq
