// SPDX-License-Identifier: Apache-2.0
#include "subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include "cleanup.h"
#include "tfjs_quant/text.h"

namespace tfq::cli {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

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
    std::error_code ec;
    if (access(p.c_str(), X_OK) == 0 && !fs::is_directory(p, ec)) return p;
  }
  return std::nullopt;
}

namespace {

// fork + exec with stdin/stdout/stderr set up, in a process group of its
// own, with default signal handling (whatever tfjs-quant ignores), and
// killed by the kernel if tfjs-quant dies (PR_SET_PDEATHSIG: even SIGKILL
// then leaves no evaluator running). Between fork and exec only
// async-signal-safe calls.
Result<pid_t> Spawn(const char* file, char* const argv[], int in, int out, const fs::path& err, bool search_path) {
  const int errfd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (errfd < 0) return IOError("cannot create " + Printable(err.string()) + ": " + std::strerror(errno));
  const int nullfd = in >= 0 ? -1 : ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int report[2];  // the child writes errno here if exec fails
  if (pipe2(report, O_CLOEXEC) != 0) {
    ::close(errfd);
    if (nullfd >= 0) ::close(nullfd);
    return IOError(std::string("pipe: ") + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    for (int sig : {SIGPIPE, SIGXFSZ, SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(in >= 0 ? in : nullfd, 0);
    ::dup2(out, 1);
    ::dup2(errfd, 2);
    if (search_path) ::execvp(file, argv);
    else ::execv(file, argv);
    const int e = errno;
    (void)!::write(report[1], &e, sizeof e);
    ::_exit(127);
  }
  ::close(report[1]);
  ::close(errfd);
  if (nullfd >= 0) ::close(nullfd);
  if (pid < 0) {
    ::close(report[0]);
    return IOError(std::string("fork: ") + std::strerror(errno));
  }
  ::setpgid(pid, pid);  // also here: whichever runs first
  int child_errno = 0;
  ssize_t n;
  while ((n = ::read(report[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {
  }
  ::close(report[0]);
  if (n == sizeof child_errno) {
    int status;
    ::waitpid(pid, &status, 0);
    return EvaluatorFailed(std::string("cannot start ") + Printable(file) + ": " + std::strerror(child_errno));
  }
  TrackProcessGroup(pid);
  return pid;
}

void KillGroup(pid_t pid) {
  ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  UntrackProcessGroup(pid);
}

}  // namespace

Result<Child> Child::Start(const std::vector<std::string>& argv, const fs::path& stderr_file) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return IOError(std::string("pipe: ") + std::strerror(errno));
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return IOError(std::string("pipe: ") + std::strerror(errno));
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  auto pid = Spawn(args[0], args.data(), in[0], out[1], stderr_file, true);
  close(in[0]);
  close(out[1]);
  if (!pid.ok()) {
    close(in[1]);
    close(out[0]);
    return pid.status();
  }
  Child c;
  c.pid_ = *pid;
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
    if (n <= 0) return EvaluatorFailed("it stopped reading its input (it exited)");
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::string> Child::ReadLine(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    if (buffer_.size() > kMaxLine) return EvaluatorFailed("it wrote a line longer than 64 MiB");
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      return EvaluatorFailed("it did not answer within " + std::to_string(timeout.count() / 1000) + " s");
    }
    pollfd p{out_, POLLIN, 0};
    const int r = poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (r < 0 && errno != EINTR) return EvaluatorFailed(std::string("poll: ") + std::strerror(errno));
    if (r <= 0) continue;
    char buf[65536];
    ssize_t n = read(out_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return EvaluatorFailed("it exited");
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

void Child::Stop(std::chrono::milliseconds grace) {
  if (in_ >= 0) close(in_);
  in_ = -1;
  if (pid_ > 0) {
    int status = 0;
    const auto deadline = Clock::now() + grace;
    bool exited = false;
    while (!exited && Clock::now() < deadline) {
      exited = waitpid(pid_, &status, WNOHANG) == pid_;
      if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // Its own children too (the whole group), whether or not it exited.
    if (!exited) KillGroup(pid_);
    else {
      ::kill(-pid_, SIGKILL);
      UntrackProcessGroup(pid_);
    }
    pid_ = -1;
  }
  if (out_ >= 0) close(out_);
  out_ = -1;
}

Result<ShellResult> RunShell(const std::string& command, const fs::path& stderr_file,
                             std::chrono::milliseconds timeout) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return IOError(std::string("pipe: ") + std::strerror(errno));
  const char* args[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  auto pid = Spawn("/bin/sh", const_cast<char* const*>(args), -1, out[1], stderr_file, false);
  close(out[1]);
  if (!pid.ok()) {
    close(out[0]);
    return pid.status();
  }
  ShellResult r;
  const auto deadline = Clock::now() + timeout;
  char buf[65536];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      r.timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    const int rc = poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (rc <= 0) continue;
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    r.out.append(buf, static_cast<size_t>(n));
    if (r.out.size() > 2 * kMaxOutput) r.out.erase(0, r.out.size() - kMaxOutput);
  }
  close(out[0]);
  if (r.out.size() > kMaxOutput) r.out.erase(0, r.out.size() - kMaxOutput);
  if (r.timed_out) {
    KillGroup(*pid);
    r.exit_code = 128 + SIGKILL;
    return r;
  }
  int status = 0;
  while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::kill(-*pid, SIGKILL);  // anything it left running in its group
  UntrackProcessGroup(*pid);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
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

std::string FileTail(const fs::path& file, size_t n) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  const off_t size = ::lseek(fd, 0, SEEK_END);
  if (size <= 0) {
    ::close(fd);
    return "";
  }
  const off_t from = size > 65536 ? size - 65536 : 0;
  std::string text(static_cast<size_t>(size - from), '\0');
  const ssize_t got = ::pread(fd, text.data(), text.size(), from);
  ::close(fd);
  text.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return LastLines(text, n);
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
