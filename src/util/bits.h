// SPDX-License-Identifier: Apache-2.0
// Bits and bytes: std::bit_cast for the compilers the core must build with
// (emscripten's libc++ 14 lacks std::bit_cast, while clang 14 and GCC 12
// both have the builtin it is made of), little-endian loads from byte
// buffers, and the bounds check of a range within a buffer.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace tfq {

// Every file format read here is little-endian, and so is every host this
// builds for (x86-64, arm64, WebAssembly): a load is a plain copy.
static_assert(std::endian::native == std::endian::little, "LoadLE reads little-endian bytes with memcpy");

template <typename To, typename From>
constexpr To BitCast(const From& from) {
  static_assert(sizeof(To) == sizeof(From) && std::is_trivially_copyable_v<To> && std::is_trivially_copyable_v<From>);
  return __builtin_bit_cast(To, from);
}

// The little-endian integer, float or double at `p` (no alignment needed).
template <typename T>
T LoadLE(const uint8_t* p) {
  static_assert(std::is_arithmetic_v<T>);
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The `n` (at most 8) little-endian bytes at `p` as an unsigned integer:
// the bytes above the n-th are zero.
inline uint64_t LoadLE(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  if (n > 0) std::memcpy(&v, p, n < sizeof v ? n : sizeof v);
  return v;
}

// [offset, offset + size) lies within [0, total), without overflow.
constexpr bool Within(uint64_t offset, uint64_t size, uint64_t total) {
  return offset <= total && size <= total - offset;
}

}  // namespace tfq
