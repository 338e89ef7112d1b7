// SPDX-License-Identifier: Apache-2.0
// Faults, made to happen at a known moment: `auto` runs an --eval-cmd that
// waits, which holds the run with its hidden output folder, its work folder
// and a child process alive. Then: SIGTERM removes all of it; SIGKILL
// leaves folders that the next run removes, and no child; a second run
// into the same OUT wins whole while the first fails clearly. And Node
// evaluators that exit, hang, print garbage or name outputs they never
// declared end in exit 7 with their last words, leaving nothing behind.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "cli_util.h"

namespace {

using namespace cli_util;
using Clock = std::chrono::steady_clock;

const std::string kBin = TFJS_QUANT_BIN;

class Faults : public ::testing::Test {
 protected:
  TempDir tmp;
  const fs::path model = tmp / "in";
  const fs::path work = tmp / "tmpdir";  // TMPDIR of the runs: auto's work folder goes here
  const fs::path out = tmp / "out";

  void SetUp() override {
    std::vector<Weight> ws;
    for (int t = 0; t < 3; ++t) {
      std::vector<float> v(300);
      for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.1f * static_cast<float>(i + 7 * t));
      std::string bytes(v.size() * 4, '\0');
      std::memcpy(bytes.data(), v.data(), bytes.size());
      ws.push_back({"w" + std::to_string(t), {300}, "float32", bytes});
    }
    WriteGraphModel(model, ws);
    fs::create_directories(work);
    ::setenv("TMPDIR", work.c_str(), 1);
  }
  void TearDown() override { ::unsetenv("TMPDIR"); }

  // Starts `auto` with an --eval-cmd that records its pid in `pidfile` and
  // then runs `then`; its stderr goes to `err`. Returns once the command
  // is running.
  pid_t StartHeldAuto(const fs::path& pidfile, const std::string& then, const fs::path& err = "/dev/null") {
    const std::string cmd = "echo $$ > " + pidfile.string() + "; " + then;
    std::vector<std::string> all{kBin, "auto", model.string(), out.string(), "--budget", "score>=0", "--eval-cmd", cmd};
    std::vector<char*> argv = Argv(all);
    pid_t pid = ::fork();
    if (pid == 0) {
      const int fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 2);
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (!fs::exists(pidfile) && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_TRUE(fs::exists(pidfile)) << "the --eval-cmd never ran";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the pid is written
    return pid;
  }

  static bool Alive(pid_t pid) { return ::kill(pid, 0) == 0; }
  static bool GoneSoon(pid_t pid) {
    for (int i = 0; i < 200 && Alive(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return !Alive(pid);
  }
  static pid_t ReadPid(const fs::path& f) { return static_cast<pid_t>(std::stol(ReadFile(f))); }
};

TEST_F(Faults, SigtermRemovesEverythingAndTheChild) {
  const fs::path pidfile = tmp / "child.pid";
  pid_t pid = StartHeldAuto(pidfile, "exec sleep 60");
  const pid_t child = ReadPid(pidfile);
  EXPECT_EQ(HiddenTempsBeside(out).size(), 1u) << "the run should be holding its hidden output folder";
  EXPECT_FALSE(fs::is_empty(work)) << "the run should be holding its work folder";
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << "it should die of the signal it got";
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(HiddenTempsBeside(out), std::vector<std::string>{});
  EXPECT_TRUE(fs::is_empty(work)) << "the work folder was left behind";
  EXPECT_TRUE(GoneSoon(child)) << "the --eval-cmd child still runs";
}

TEST_F(Faults, SigkillLeavesNoChildAndTheNextRunCleansUp) {
  const fs::path pidfile = tmp / "child.pid";
  pid_t pid = StartHeldAuto(pidfile, "exec sleep 60");
  const pid_t child = ReadPid(pidfile);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(GoneSoon(child)) << "the --eval-cmd child outlived a SIGKILL of tfjs-quant";
  EXPECT_FALSE(fs::exists(out));
  // What SIGKILL leaves: the hidden folder and the work folder.
  EXPECT_EQ(HiddenTempsBeside(out).size(), 1u);
  EXPECT_FALSE(fs::is_empty(work));
  // The next run into the same OUT succeeds and removes both.
  RunResult r = cli_util::Run(kBin, {"auto", model.string(), out.string(), "--budget", "score>=0", "--eval-cmd", "echo 1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(HiddenTempsBeside(out), std::vector<std::string>{});
  EXPECT_TRUE(fs::is_empty(work));
  EXPECT_TRUE(fs::exists(out / "model.json"));
}

TEST_F(Faults, TwoRunsIntoOneOutOneWinsWholeTheOtherFailsClearly) {
  const fs::path pidfile = tmp / "child.pid";
  const fs::path go = tmp / "go";
  // Run A holds until `go` exists, then scores 1.
  const fs::path err = tmp / "a.err";
  pid_t a = StartHeldAuto(pidfile, "while [ ! -e " + go.string() + " ]; do sleep 0.02; done; echo 1", err);
  // Run B writes OUT meanwhile.
  RunResult b = cli_util::Run(kBin, {"quantize", model.string(), out.string(), "--float16"});
  ASSERT_EQ(b.code, 0) << b.err;
  const auto b_files = FilesIn(out);
  WriteFile(go, "");
  int status = 0;
  ASSERT_EQ(::waitpid(a, &status, 0), a);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 4) << "run A must fail: OUT appeared while it was writing";
  const std::string msg = ReadFile(err);
  EXPECT_EQ(msg.substr(0, msg.find('\n')),
            "tfjs-quant: error: output " + out.string() +
                " was created by something else while tfjs-quant was writing (another run?); it was left as it is "
                "and nothing was written; pass --force to replace it");
  EXPECT_EQ(FilesIn(out), b_files) << "run B's output must stay whole";
  EXPECT_EQ(HiddenTempsBeside(out), std::vector<std::string>{});
  EXPECT_TRUE(fs::is_empty(work));
}

// A command that leaves a process holding its stdout has still finished:
// its score counts at once, and the process goes with its group.
TEST_F(Faults, EvalCmdThatLeavesABackgroundProcess) {
  const auto t0 = Clock::now();
  RunResult r = cli_util::Run(kBin, {"auto", model.string(), out.string(), "--budget", "score>=0", "--eval-timeout", "30",
                                     "--eval-cmd", "sleep 60 & echo 1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(20)) << "waited for the background process";
  EXPECT_TRUE(fs::is_empty(work));
}

// --- evaluators that fail

class BadEvaluator : public Faults {
 protected:
  const fs::path package = tmp / "evaluator";

  // A fake evaluator package: `body` runs after `send` and `lines` exist.
  void Write(const std::string& body) {
    WriteFile(package / "node_modules/@tensorflow/tfjs-core/package.json", "{}");
    WriteFile(package / "bin/tfjs-quant-eval.mjs",
              "import readline from 'node:readline';\n"
              "const send = o => process.stdout.write(JSON.stringify(o) + '\\n');\n"
              "const rl = readline.createInterface({ input: process.stdin });\n"
              "const lines = rl[Symbol.asyncIterator]();\n"
              "const next = async () => JSON.parse((await lines.next()).value);\n"
              "const load = id => ({ id, ok: true, kind: 'graph', count: 2,\n"
              "  inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2] }], outputs: [{ name: 'y' }] });\n" +
                  body + "\n");
  }
  RunResult Auto() {
    return cli_util::Run(kBin, {"auto", model.string(), out.string(), "--budget", "sqnr>=30", "--eval-timeout", "2", "--evaluator",
                      package.string()});
  }
  void ExpectFailed(const RunResult& r, const std::string& first_line) {
    EXPECT_EQ(r.code, 7) << r.err;
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')), "tfjs-quant: error: TensorFlow.js evaluator: " + first_line);
    EXPECT_FALSE(fs::exists(out));
    EXPECT_EQ(HiddenTempsBeside(out), std::vector<std::string>{});
    EXPECT_TRUE(fs::is_empty(work)) << "the work folder was left behind";
  }
};

TEST_F(BadEvaluator, ExitsAfterItsReadyLine) {
  Write("send({ ready: true }); await next(); process.stderr.write('dying on purpose\\n'); process.exit(3);");
  RunResult r = Auto();
  ExpectFailed(r, "it exited during 'load'");
  EXPECT_NE(r.err.find("its last messages:\ndying on purpose"), std::string::npos) << r.err;
}

TEST_F(BadEvaluator, SaysItIsNotReady) {
  Write("send({ ready: false, error: 'evaluator could not start: no WebAssembly here' }); process.exit(1);");
  ExpectFailed(Auto(), "it could not start: evaluator could not start: no WebAssembly here");
}

TEST_F(BadEvaluator, HangsIsStoppedByTheTimeout) {
  Write("send({ ready: true }); await next(); setInterval(() => {}, 1000);");
  const auto t0 = Clock::now();
  ExpectFailed(Auto(), "it did not answer within 2 s (--eval-timeout) during 'load'");
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(30));
}

TEST_F(BadEvaluator, WritesGarbage) {
  Write("send({ ready: true }); await next(); process.stdout.write('hello \\x1b[31mworld\\n');");
  ExpectFailed(Auto(), "it wrote a line that is not part of the protocol: 'hello \\x1b[31mworld'");
}

TEST_F(BadEvaluator, GarbageInsteadOfReady) {
  Write("process.stdout.write('Welcome!\\n'); setInterval(() => {}, 1000);");
  ExpectFailed(Auto(), "it wrote 'Welcome!' instead of its ready line");
}

TEST_F(BadEvaluator, NamesAnOutputItNeverDeclared) {
  Write("send({ ready: true }); send(load((await next()).id));\n"
        "for (;;) { const r = await next();\n"
        "  if (r.cmd === 'weights') send({ id: r.id, ok: true });\n"
        "  else send({ id: r.id, ok: true, inferences: 2, results: [{ input: 0, output: 'zzz', n: 1, sig: 1, err: 0, maxabs: 0, dot: 1, nout: 1, argmax_ref: 0, argmax_out: 0 }] }); }");
  ExpectFailed(Auto(), "a result names the output 'zzz', which it did not declare");
}

// A result left out would count as no damage: one per input and output.
TEST_F(BadEvaluator, LeavesOutAResult) {
  Write("send({ ready: true }); send(load((await next()).id));\n"
        "for (;;) { const r = await next();\n"
        "  if (r.cmd === 'weights') send({ id: r.id, ok: true });\n"
        "  else send({ id: r.id, ok: true, inferences: 2, results: [{ input: 0, output: 'y', n: 1, sig: 1, err: 0, maxabs: 0, dot: 1, nout: 1, argmax_ref: 0, argmax_out: 0 }] }); }");
  ExpectFailed(Auto(), "an evaluation returned 1 results, not 2 (one per input asked for and guarded output)");
}

// A result without a metric would count it as 0: a maxabs<= budget would
// hold whatever the outputs were. The field is named.
TEST_F(BadEvaluator, LeavesOutAMetric) {
  Write("send({ ready: true }); send(load((await next()).id));\n"
        "const res = [0, 1].map(i => ({ input: i, output: 'y', n: 1, sig: 1, err: 0, dot: 1, nout: 1, argmax_ref: 0, argmax_out: 0 }));\n"
        "for (;;) { const r = await next();\n"
        "  send(r.cmd === 'weights' ? { id: r.id, ok: true } : { id: r.id, ok: true, inferences: 2, results: res }); }");
  ExpectFailed(Auto(), "a result lacks \"maxabs\"");
}

// A working evaluator that ignores "quit" and keeps stderr open: the run
// still ends, the evaluator killed after a grace period.
TEST_F(BadEvaluator, IgnoresQuit) {
  Write("process.on('SIGTERM', () => {}); send({ ready: true }); send(load((await next()).id));\n"
        "const res = [0, 1].map(i => ({ input: i, output: 'y', n: 1, sig: 1, err: 0, maxabs: 0, dot: 1, nout: 1, argmax_ref: 0, argmax_out: 0 }));\n"
        "for (;;) { const r = await next();\n"
        "  if (r.cmd === 'quit') { setInterval(() => {}, 1000); break; }\n"
        "  send(r.cmd === 'weights' ? { id: r.id, ok: true } : { id: r.id, ok: true, inferences: 2, results: res }); }");
  const auto t0 = Clock::now();
  RunResult r = Auto();
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out / "model.json"));
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(20));
  EXPECT_TRUE(fs::is_empty(work));
}

// A weight entry may carry members tfjs ignores, nested as deep as the
// model's JSON allows: they travel to the evaluator like the rest.
TEST_F(BadEvaluator, DeeplyNestedUnknownMemberInAnEntry) {
  std::string json = ReadFile(model / "model.json");
  const std::string nested = std::string(60, '[') + std::string(60, ']');
  json.replace(json.find("\"name\":\"w0\""), 11, "\"extra\":" + nested + ",\"name\":\"w0\"");
  WriteFile(model / "model.json", json);
  Write("send({ ready: true }); send(load((await next()).id));\n"
        "const res = [0, 1].map(i => ({ input: i, output: 'y', n: 1, sig: 1, err: 0, maxabs: 0, dot: 1, nout: 1, argmax_ref: 0, argmax_out: 0 }));\n"
        "for (;;) { const r = await next(); if (r.cmd === 'quit') process.exit(0);\n"
        "  send(r.cmd === 'weights' ? { id: r.id, ok: true } : { id: r.id, ok: true, inferences: 2, results: res }); }");
  RunResult r = Auto();
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(ReadFile(out / "model.json").find("\"extra\": " + std::string(60, '[')), std::string::npos);
}

TEST_F(BadEvaluator, DiesDuringAnEvaluation) {
  Write("send({ ready: true }); send(load((await next()).id));\n"
        "for (;;) { const r = await next();\n"
        "  if (r.cmd === 'weights') send({ id: r.id, ok: true });\n"
        "  else { process.stderr.write('RangeError: WebAssembly.Memory(): could not allocate memory\\n'); process.exit(1); } }");
  RunResult r = Auto();
  ExpectFailed(r, "it exited during 'eval'");
  EXPECT_NE(r.err.find("RangeError: WebAssembly.Memory(): could not allocate memory"), std::string::npos) << r.err;
}

}  // namespace
