// SPDX-License-Identifier: Apache-2.0
// tfjs-quant: the command-line tool. A thin shell over the library: parse the
// command line, call the library, print what happened.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <system_error>
#include <vector>

#include "cleanup.h"
#include "cli_common.h"
#include "commands.h"

namespace {

// TFJS_QUANT_KERNELS=portable runs the plain loops WebAssembly runs instead
// of AVX2/F16C (for tests and benchmarks; the bytes are the same).
int SelectKernels() {
  const char* k = std::getenv("TFJS_QUANT_KERNELS");
  if (!k || !*k || std::strcmp(k, "auto") == 0) return 0;
  if (std::strcmp(k, "portable") == 0) {
    tfq::SetKernelPath(tfq::KernelPath::kPortable);
    return 0;
  }
  std::fprintf(stderr, "tfjs-quant: error: TFJS_QUANT_KERNELS=%s: expected 'auto' or 'portable'\n",
               tfq::Printable(k, 80).c_str());
  return tfq::cli::kExitUsage;
}

// Runs a subcommand. The library reports failures as a Status, allocation
// failures of tensor buffers included; what the tool's own code (CLI11,
// std::filesystem, small allocations) throws on the main thread lands here,
// after the destructors on the way have removed the temporary output.
int RunCommand(const tfq::cli::Runner& run) {
  // A report that cannot be written (stdout on a full disk, a closed pipe)
  // is a failure, not a silent success.
  auto stdout_failed = [](int err) {
    return tfq::cli::Fail(tfq::IOError(std::string("cannot write to standard output: ") + std::strerror(err)));
  };
  try {
    const int rc = run();
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
      // errno is the failed write's: the reports end with the write to
      // stdout, and an fflush with nothing buffered leaves errno alone.
      const int err = errno ? errno : EIO;
      return rc != 0 ? rc : stdout_failed(err);
    }
    return rc;
  } catch (const std::bad_alloc&) {
    return tfq::cli::Fail(tfq::OutOfMemory("out of memory"));
  } catch (const std::system_error& e) {
    // {fmt}'s print throws this when stdout fails; other system errors are
    // unexpected.
    if (std::ferror(stdout)) return stdout_failed(e.code().value());
    return tfq::cli::Fail(tfq::Internal(std::string("unexpected exception: ") + e.what()));
  } catch (const std::exception& e) {
    return tfq::cli::Fail(tfq::Internal(std::string("unexpected exception: ") + e.what()));
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tfq::cli;
  InstallSignalCleanup();
  if (int rc = SelectKernels(); rc != 0) return rc;
  CLI::App app{"tfjs-quant: shrink TensorFlow.js model weights (uint8, uint16, float16)", "tfjs-quant"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tfjs-quant 0.1.0");
  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const auto& c : kCommands) {
    CLI::App* sub = app.add_subcommand(c.name, c.help);
    runners.emplace_back(sub, c.setup(*sub));
  }
  // "did you mean": CLI11 would only say the word was not expected.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const auto& c : kCommands) known = known || std::strcmp(argv[1], c.name) == 0;
#ifdef TFJS_QUANT_NODE_CLI
    if (std::strcmp(argv[1], "auto") == 0) {
      std::fprintf(stderr, "tfjs-quant: error: 'auto' needs the native tfjs-quant (it runs TensorFlow.js evaluator "
                           "processes); in JavaScript, auto() measures with your own tfjs (docs/javascript.md), "
                           "and the web page runs it in your browser (npx tfjs-quant serve)\n");
      return kExitUsage;
    }
#endif
    if (!known) {
      std::string best;
      size_t best_d = 99;
      for (const auto& c : kCommands) {
        size_t d = EditDistance(argv[1], c.name);
        if (d < best_d) best_d = d, best = c.name;
      }
      std::fprintf(stderr, "tfjs-quant: error: unknown command %s%s\nRun 'tfjs-quant --help' for the commands.\n",
                   tfq::Quoted(argv[1], 80).c_str(), best_d <= 3 ? (", did you mean '" + best + "'?").c_str() : "");
      return kExitUsage;
    }
  }
  // The converter's --quantize_* flags take an optional value, and a bare flag
  // must never swallow the next word (the converter's argparse quirk). CLI11
  // options always want a value, so give the bare and the empty forms
  // values no user can type.
  std::vector<std::string> args(argv, argv + argc);
  for (auto& a : args) {
    for (const char* f : kPatternFlags) {
      if (a == f) a += std::string("=") + kBareFlag;
      else if (a == std::string(f) + "=") a += kEmptyPatternList;
    }
  }
  std::vector<char*> argv2;
  for (auto& a : args) argv2.push_back(a.data());
  try {
    app.parse(static_cast<int>(argv2.size()), argv2.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "tfjs-quant: error: %s\n", tfq::Printable(e.what(), 400).c_str());
    // The converter's flags are spelled with '_', many tools' with '-':
    // an unknown --a-b whose other spelling the command has is named.
    for (auto& [sub, run] : runners) {
      if (!sub->parsed()) continue;
      for (int i = 2; i < argc; ++i) {
        std::string flag(argv[i]);
        if (flag.rfind("--", 0) != 0) continue;
        flag = flag.substr(0, flag.find('='));
        if (sub->get_option_no_throw(flag) != nullptr) continue;
        std::string other = flag;
        const bool dashes = other.find('-', 2) != std::string::npos;
        for (size_t k = 2; k < other.size(); ++k)
          if (other[k] == (dashes ? '-' : '_')) other[k] = dashes ? '_' : '-';
        if (other != flag && sub->get_option_no_throw(other) != nullptr) {
          std::fprintf(stderr, "Did you mean %s?\n", other.c_str());
          break;
        }
      }
    }
    // A bare pattern flag (long or short spelling) followed by its patterns
    // as a separate word leaves that word unexpected.
    bool bare_pattern_flag = false;
    for (int i = 1; i < argc; ++i)
      for (const char* f : kPatternFlags) bare_pattern_flag = bare_pattern_flag || std::strcmp(argv[i], f) == 0;
    if (std::string(e.what()).find("not expected") != std::string::npos && bare_pattern_flag) {
      std::fprintf(stderr, "Patterns go after '=', e.g. --quantize_uint8='conv*,dense*'; a bare flag takes none.\n");
    }
    std::fprintf(stderr, "Run 'tfjs-quant %s --help' for usage.\n", argc > 1 ? tfq::Printable(argv[1], 40).c_str() : "");
    return kExitUsage;
  }
  for (auto& [sub, run] : runners) {
    if (sub->parsed()) return RunCommand(run);
  }
  return kExitUsage;
}
