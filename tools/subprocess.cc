// SPDX-License-Identifier: Apache-2.0
#include "subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace tfq::cli {
namespace fs = std::filesystem;

std::optional<fs::path> FindOnPath(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    if (access(program.c_str(), X_OK) == 0) return fs::path(program);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    fs::path p = fs::path(dir.empty() ? "." : dir) / program;
    if (access(p.c_str(), X_OK) == 0 && !fs::is_directory(p)) return p;
  }
  return std::nullopt;
}

Result<Child> Child::Start(const std::vector<std::string>& argv, const fs::path& stderr_file) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return IOError(std::string("pipe: ") + std::strerror(errno));
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return IOError(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  Child c;
  int rc = posix_spawnp(&c.pid_, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    return IOError("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  c.in_ = in[1];
  c.out_ = out[0];
  return c;
}

Child::Child(Child&& o) noexcept : pid_(o.pid_), in_(o.in_), out_(o.out_), buffer_(std::move(o.buffer_)) {
  o.pid_ = -1;
  o.in_ = o.out_ = -1;
}

Child::~Child() { Stop(std::chrono::milliseconds(0)); }

Status Child::WriteLine(const std::string& line) {
  std::string data = line + "\n";
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(in_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IOError("the evaluator process stopped reading (it exited)");
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::string> Child::ReadLine() {
  for (;;) {
    size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    char buf[65536];
    ssize_t n = read(out_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IOError("the evaluator process exited");
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

void Child::Stop(std::chrono::milliseconds grace) {
  if (in_ >= 0) close(in_);
  in_ = -1;
  if (pid_ > 0) {
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
  }
  if (out_ >= 0) close(out_);
  out_ = -1;
}

Result<ShellResult> RunShell(const std::string& command) {
  char tmpl[] = "/tmp/tfjs-quant-stderr-XXXXXX";
  int errfd = mkstemp(tmpl);
  if (errfd < 0) return IOError(std::string("cannot create a temporary file: ") + std::strerror(errno));
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(errfd);
    std::remove(tmpl);
    return IOError(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, errfd, 2);
  const char* args[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, "/bin/sh", &fa, nullptr, const_cast<char* const*>(args), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  close(errfd);
  ShellResult r;
  if (rc != 0) {
    close(out[0]);
    std::remove(tmpl);
    return IOError(std::string("cannot start /bin/sh: ") + std::strerror(rc));
  }
  char buf[65536];
  for (;;) {
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    r.out.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  std::ifstream f(tmpl, std::ios::binary);
  r.err.assign(std::istreambuf_iterator<char>(f), {});
  std::remove(tmpl);
  return r;
}

std::string LastLines(const std::string& text, size_t n) {
  size_t end = text.size();
  while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r')) --end;
  size_t pos = end;
  for (size_t k = 0; k < n && pos > 0; ++k) {
    size_t nl = text.rfind('\n', pos - 1);
    pos = nl == std::string::npos ? 0 : nl;
    if (pos == 0) break;
  }
  std::string s = text.substr(pos, end - pos);
  if (!s.empty() && s[0] == '\n') s.erase(0, 1);
  return s;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

}  // namespace tfq::cli
