// SPDX-License-Identifier: Apache-2.0
// std::bit_cast for the compilers the core must build with: emscripten's
// libc++ 14 lacks std::bit_cast, while clang 14 and GCC 12 both have the
// builtin it is made of.
#pragma once

#include <type_traits>

namespace tfq {

template <typename To, typename From>
constexpr To BitCast(const From& from) {
  static_assert(sizeof(To) == sizeof(From) && std::is_trivially_copyable_v<To> && std::is_trivially_copyable_v<From>);
  return __builtin_bit_cast(To, from);
}

}  // namespace tfq
