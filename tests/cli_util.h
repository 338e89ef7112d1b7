// SPDX-License-Identifier: Apache-2.0
// Helpers for tests that run the tfjs-quant binary as a user would: run a
// command and capture its exit status, stdout and stderr; fresh temporary
// folders; snapshots of a folder tree; building small models on disk.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cli_util {

namespace fs = std::filesystem;
using nlohmann::json;

// ---------------------------------------------------------------- processes

struct RunResult {
  int code = -1;        // exit status, or -1 if killed by a signal
  int signal = 0;       // the signal that ended it, if any
  std::string out, err;
};

inline std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> v;
  for (auto& a : args) v.push_back(a.data());
  v.push_back(nullptr);
  return v;
}

// Runs `bin args...` in `cwd` (if not empty) and waits for it.
inline RunResult Run(const std::string& bin, const std::vector<std::string>& args, const fs::path& cwd = {}) {
  std::vector<std::string> all{bin};
  all.insert(all.end(), args.begin(), args.end());
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  std::vector<char*> argv = Argv(all);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  RunResult r;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* dst[2] = {&r.out, &r.err};
  int open_count = 2;
  char buf[65536];
  while (open_count > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        dst[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) r.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

// Starts `bin args...` with stdout and stderr sent to /dev/null; returns its pid.
inline pid_t Spawn(const std::string& bin, const std::vector<std::string>& args) {
  std::vector<std::string> all{bin};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv = Argv(all);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// ------------------------------------------------------------------- files

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/tfjs-quant-cli-test-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = fs::canonical(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  fs::path path_;
};

inline std::string ReadFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

inline void WriteFile(const fs::path& p, std::string_view data) {
  fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!f) throw std::runtime_error("cannot write " + p.string());
}

inline uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// Every entry below `root` (not following links): relative path -> kind,
// size, content hash (files) or link target (links).
inline std::map<std::string, std::string> Snapshot(const fs::path& root) {
  std::map<std::string, std::string> snap;
  if (!fs::exists(fs::symlink_status(root))) return snap;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path rel = fs::relative(it->path(), root);
    auto st = it->symlink_status();
    std::string v;
    if (fs::is_symlink(st)) {
      v = "link -> " + fs::read_symlink(it->path()).string();
    } else if (fs::is_directory(st)) {
      v = "dir";
    } else if (!fs::is_regular_file(st)) {
      v = "special";  // a FIFO would block a read
    } else {
      std::string data = ReadFile(it->path());
      v = "file " + std::to_string(data.size()) + " bytes, fnv " + std::to_string(Fnv1a(data));
    }
    snap[rel.string()] = v;
  }
  return snap;
}

// Names in out's parent folder that look like tfjs-quant's hidden temporary
// folders for `out` (".OUT.tfjs-quant-*").
inline std::vector<std::string> HiddenTempsBeside(const fs::path& out) {
  std::vector<std::string> found;
  const fs::path parent = out.parent_path();
  const std::string prefix = "." + out.filename().string() + ".tfjs-quant";
  std::error_code ec;
  for (const auto& de : fs::directory_iterator(parent, ec)) {
    std::string n = de.path().filename().string();
    if (n.rfind(prefix, 0) == 0) found.push_back(n);
  }
  return found;
}

// Regular files directly in `dir`, sorted, with their contents.
inline std::map<std::string, std::string> FilesIn(const fs::path& dir) {
  std::map<std::string, std::string> m;
  for (const auto& de : fs::directory_iterator(dir)) m[de.path().filename().string()] = ReadFile(de.path());
  return m;
}

// ------------------------------------------------------------------ models

inline std::string F32(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  size_t i = 0;
  for (float f : v) std::memcpy(&s[4 * i++], &f, 4);  // little-endian hosts only
  return s;
}
inline std::string I32(std::initializer_list<int32_t> v) {
  std::string s(v.size() * 4, '\0');
  size_t i = 0;
  for (int32_t x : v) std::memcpy(&s[4 * i++], &x, 4);
  return s;
}
inline std::vector<float> AsF32(std::string_view bytes) {
  std::vector<float> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), v.size() * 4);
  return v;
}
inline std::vector<uint32_t> AsBits(std::string_view bytes) {
  std::vector<uint32_t> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), v.size() * 4);
  return v;
}
inline std::string Hex(std::string_view bytes) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (unsigned char c : bytes) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}

struct Weight {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype;  // "float32", "int32", ...
  std::string data;   // stored bytes
  json quantization = nullptr;  // null: absent
};

inline json EntryJson(const Weight& w) {
  json e = json::object();
  e["name"] = w.name;
  e["shape"] = w.shape;
  e["dtype"] = w.dtype;
  if (!w.quantization.is_null()) e["quantization"] = w.quantization;
  return e;
}

inline json GroupJson(const std::vector<Weight>& ws, const std::vector<std::string>& paths) {
  json g = json::object();
  g["paths"] = paths;
  g["weights"] = json::array();
  for (const auto& w : ws) g["weights"].push_back(EntryJson(w));
  return g;
}

// Writes a graph-model JSON `json_name` plus one shard `shard` in `dir`.
inline void WriteGraphModel(const fs::path& dir, const std::vector<Weight>& ws,
                            const std::string& json_name = "model.json",
                            const std::string& shard = "group1-shard1of1.bin") {
  json m = json::object();
  m["format"] = "graph-model";
  m["generatedBy"] = "2.15.0";
  m["convertedBy"] = "TensorFlow.js Converter v4.22.0";
  m["modelTopology"] = {{"node", json::array()}, {"versions", {{"producer", 1}}}};
  m["weightsManifest"] = json::array({GroupJson(ws, {shard})});
  std::string bytes;
  for (const auto& w : ws) bytes += w.data;
  WriteFile(dir / json_name, m.dump());
  WriteFile(dir / shard, bytes);
}

// Writes a standalone manifest (a bare list of one group) plus its shard.
inline void WriteStandaloneManifest(const fs::path& dir, const std::vector<Weight>& ws, const std::string& json_name,
                                    const std::string& shard) {
  std::string bytes;
  for (const auto& w : ws) bytes += w.data;
  WriteFile(dir / json_name, json::array({GroupJson(ws, {shard})}).dump());
  WriteFile(dir / shard, bytes);
}

inline uint64_t ElementBytes(const std::string& dtype) {
  if (dtype == "float32" || dtype == "int32") return 4;
  if (dtype == "uint16" || dtype == "float16") return 2;
  if (dtype == "uint8" || dtype == "bool") return 1;
  if (dtype == "complex64") return 8;
  throw std::runtime_error("no fixed size for dtype " + dtype);
}

inline uint64_t StoredBytes(const json& entry) {
  uint64_t n = 1;
  for (const auto& d : entry.at("shape")) n *= d.get<uint64_t>();
  std::string dt = entry.contains("quantization") ? entry["quantization"].at("dtype").get<std::string>()
                                                  : entry.at("dtype").get<std::string>();
  return n * ElementBytes(dt);
}

// The manifest (list of groups) of a model JSON or standalone manifest.
inline const json& Manifest(const json& root) { return root.is_array() ? root : root.at("weightsManifest"); }

// A written model read back: its JSON and each weight's stored bytes.
struct Loaded {
  json root;
  std::map<std::string, json> entries;        // name -> manifest entry
  std::map<std::string, std::string> stored;  // name -> stored bytes
  std::vector<std::vector<uint64_t>> shard_sizes;  // per group
};

// Reads `dir/json_name` and its shards; throws if a file is missing or the
// shard bytes do not add up to what the manifest describes.
inline Loaded Load(const fs::path& dir, const std::string& json_name = "model.json") {
  Loaded l;
  l.root = json::parse(ReadFile(dir / json_name));
  for (const auto& g : Manifest(l.root)) {
    std::string bytes;
    std::vector<uint64_t> sizes;
    for (const auto& p : g.at("paths")) {
      std::string s = ReadFile(dir / p.get<std::string>());
      sizes.push_back(s.size());
      bytes += s;
    }
    l.shard_sizes.push_back(sizes);
    uint64_t off = 0;
    for (const auto& e : g.at("weights")) {
      uint64_t n = StoredBytes(e);
      if (off + n > bytes.size()) throw std::runtime_error("shards of " + json_name + " are short");
      std::string name = e.at("name").get<std::string>();
      l.entries[name] = e;
      l.stored[name] = bytes.substr(off, n);
      off += n;
    }
    if (off != bytes.size()) throw std::runtime_error("shards of " + json_name + " are too long");
  }
  return l;
}

}  // namespace cli_util
