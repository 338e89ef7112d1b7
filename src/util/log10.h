// SPDX-License-Identifier: Apache-2.0
// log10 with the same bits in every build. glibc's log10 and the musl one
// emscripten links differ in the last bit for some arguments, which would
// make an SQNR printed by the native tool and by WebAssembly differ in its
// 17th digit; this one is plain IEEE double arithmetic (no fused
// multiply-add: the core builds with -ffp-contract=off), so it rounds alike
// on x86-64, ARM and wasm32.
#pragma once

namespace tfq {

double Log10(double x);

}  // namespace tfq
