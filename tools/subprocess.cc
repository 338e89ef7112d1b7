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

namespace {

constexpr size_t kErrTail = size_t{64} << 10;

int MsLeft(Deadline d) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(d - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1000));
}

// Appends `n` bytes to `tail`, keeping its last `keep` bytes.
void KeepTail(std::string& tail, const char* data, size_t n, size_t keep) {
  tail.append(data, n);
  if (tail.size() > 2 * keep) tail.erase(0, tail.size() - keep);
}

// Reads what is there from `fd` into `tail`; closes it at EOF.
void Drain(int& fd, std::string& tail, size_t keep) {
  char buf[65536];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) KeepTail(tail, buf, static_cast<size_t>(n), keep);
  else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    ::close(fd);
    fd = -1;
  }
}

struct Pipes {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  void CloseAll() {
    for (int* p : {in, out, err})
      for (int k = 0; k < 2; ++k)
        if (p[k] >= 0) ::close(p[k]), p[k] = -1;
  }
};

// fork + exec with the pipes on 0, 1, 2 (stdin from /dev/null if `with_in`
// is false), in a process group of its own, with default signal handling
// (whatever tfjs-quant ignores), and killed by the kernel if tfjs-quant dies
// (PR_SET_PDEATHSIG: even a SIGKILL of tfjs-quant then ends it). Between
// fork and exec only async-signal-safe calls.
Result<pid_t> Spawn(const char* file, char* const argv[], Pipes& p, bool with_in, bool search_path) {
  if ((with_in && pipe2(p.in, O_CLOEXEC) != 0) || pipe2(p.out, O_CLOEXEC) != 0 || pipe2(p.err, O_CLOEXEC) != 0) {
    const int e = errno;
    p.CloseAll();
    return IOError(std::string("pipe: ") + std::strerror(e));
  }
  const int nullfd = with_in ? -1 : ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int report[2];  // the child writes errno here if exec fails
  if (pipe2(report, O_CLOEXEC) != 0) {
    const int e = errno;
    p.CloseAll();
    if (nullfd >= 0) ::close(nullfd);
    return IOError(std::string("pipe: ") + std::strerror(e));
  }
  const pid_t parent = ::getpid();
  // No signal between fork and the child's reset: tfjs-quant's cleanup
  // handler must never run in the child.
  sigset_t block, old;
  sigemptyset(&block);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&block, sig);
  ::sigprocmask(SIG_BLOCK, &block, &old);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    for (int sig : {SIGPIPE, SIGXFSZ, SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(with_in ? p.in[0] : nullfd, 0);
    ::dup2(p.out[1], 1);
    ::dup2(p.err[1], 2);
    if (search_path) ::execvp(file, argv);
    else ::execv(file, argv);
    const int e = errno;
    (void)!::write(report[1], &e, sizeof e);
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  ::close(report[1]);
  if (nullfd >= 0) ::close(nullfd);
  // The child's ends.
  for (int* fd : {&p.in[0], &p.out[1], &p.err[1]})
    if (*fd >= 0) ::close(*fd), *fd = -1;
  if (pid < 0) {
    ::close(report[0]);
    p.CloseAll();
    return IOError(std::string("fork: ") + std::strerror(fork_errno));
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
    p.CloseAll();
    return EvaluatorFailed(std::string("cannot start ") + Printable(file) + ": " + std::strerror(child_errno));
  }
  TrackProcessGroup(pid);
  // Reads from stdout and stderr wait in poll(), never in read().
  for (int fd : {p.out[0], p.err[0]}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return pid;
}

// Has `pid` exited? Leaves it unreaped, so that its process group ID cannot
// be taken by another process before the group is killed.
bool Exited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

// Kills whatever is left of the group, then reaps its leader.
int EndGroup(pid_t pid) {
  ::kill(-pid, SIGKILL);
  UntrackProcessGroup(pid);  // before the reap frees the ID for reuse
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

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

Result<Child> Child::Start(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  Pipes p;
  TFQ_ASSIGN_OR_RETURN(pid_t pid, Spawn(args[0], args.data(), p, true, true));
  Child c;
  c.pid_ = pid;
  c.in_ = p.in[1];
  c.out_ = p.out[0];
  c.err_ = p.err[0];
  // Writes wait in poll(), never in write(): a request larger than the pipe
  // to a child that stopped reading must not block past its deadline.
  ::fcntl(c.in_, F_SETFL, ::fcntl(c.in_, F_GETFL) | O_NONBLOCK);
  return c;
}

Child::Child(Child&& o) noexcept
    : pid_(o.pid_), in_(o.in_), out_(o.out_), err_(o.err_), buffer_(std::move(o.buffer_)),
      err_tail_(std::move(o.err_tail_)) {
  o.pid_ = -1;
  o.in_ = o.out_ = o.err_ = -1;
}

Child::~Child() { Stop(std::chrono::milliseconds(0)); }

Status Child::Wait(int fd, short events, Deadline deadline) {
  for (;;) {
    pollfd fds[2] = {{fd, events, 0}, {err_, POLLIN, 0}};
    const int n = ::poll(fds, err_ >= 0 ? 2 : 1, MsLeft(deadline));
    if (n < 0 && errno != EINTR) return EvaluatorFailed(std::string("poll: ") + std::strerror(errno));
    if (err_ >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) Drain(err_, err_tail_, kErrTail);
    if (n > 0 && fds[0].revents) return Status::Ok();
    if (Clock::now() >= deadline) return EvaluatorFailed(kTimedOut);
  }
}

Status Child::WriteLine(const std::string& line, Deadline deadline) {
  const std::string data = line + "\n";
  size_t done = 0;
  while (done < data.size()) {
    TFQ_RETURN_IF_ERROR(Wait(in_, POLLOUT, deadline));
    const ssize_t n = ::write(in_, data.data() + done, data.size() - done);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return EvaluatorFailed("it stopped reading its input (it exited)");
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::string> Child::ReadLine(Deadline deadline) {
  for (;;) {
    const size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    if (buffer_.size() > kMaxLine) return EvaluatorFailed("it wrote a line longer than 8 MiB");
    TFQ_RETURN_IF_ERROR(Wait(out_, POLLIN, deadline));
    char buf[65536];
    const ssize_t n = ::read(out_, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return EvaluatorFailed("it exited");
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

std::string Child::ErrTail(size_t n) const { return LastLines(err_tail_, n); }

void Child::Stop(std::chrono::milliseconds grace) {
  if (in_ >= 0) ::close(in_);
  in_ = -1;
  if (pid_ > 0) {
    const Deadline deadline = After(grace);
    while (!Exited(pid_) && Clock::now() < deadline) {
      pollfd p{err_, POLLIN, 0};
      if (err_ >= 0 && ::poll(&p, 1, 10) > 0) Drain(err_, err_tail_, kErrTail);
      else if (err_ < 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EndGroup(pid_);
    pid_ = -1;
    // Its last words: the group is dead, so stderr ends at once.
    const Deadline end = After(std::chrono::milliseconds(200));
    while (err_ >= 0 && Clock::now() < end) {
      pollfd p{err_, POLLIN, 0};
      if (::poll(&p, 1, MsLeft(end)) > 0) Drain(err_, err_tail_, kErrTail);
    }
  }
  for (int* fd : {&out_, &err_})
    if (*fd >= 0) ::close(*fd), *fd = -1;
}

Result<ShellResult> RunShell(const std::string& command, std::chrono::milliseconds timeout) {
  const char* args[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  Pipes p;
  TFQ_ASSIGN_OR_RETURN(pid_t pid, Spawn("/bin/sh", const_cast<char* const*>(args), p, false, false));
  int out = p.out[0], err = p.err[0];
  ShellResult r;
  const Deadline deadline = After(timeout);
  // Both streams until both close, then the exit, all before the deadline.
  // Once the shell has exited, what it started in the background may hold
  // the pipes open: read for a moment more, then end the group.
  Deadline end = deadline;
  while ((out >= 0 || err >= 0) && Clock::now() < end) {
    pollfd fds[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
    if (::poll(fds, 2, std::min(MsLeft(end), 50)) > 0) {
      if (out >= 0 && fds[0].revents) Drain(out, r.out, kMaxOutput);
      if (err >= 0 && fds[1].revents) Drain(err, r.err, kErrTail);
    }
    if (end == deadline && Exited(pid)) end = std::min(deadline, After(std::chrono::milliseconds(200)));
  }
  while (!Exited(pid) && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  r.timed_out = !Exited(pid);
  r.exit_code = EndGroup(pid);
  for (int fd : {out, err})
    if (fd >= 0) ::close(fd);
  if (r.out.size() > kMaxOutput) r.out.erase(0, r.out.size() - kMaxOutput);
  if (r.err.size() > kErrTail) r.err.erase(0, r.err.size() - kErrTail);
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
