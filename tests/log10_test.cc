// SPDX-License-Identifier: Apache-2.0
// tfq::Log10 (musl's log10, the same bits in every build): the special
// values, exact powers of ten, closeness to the C library's log10, and a few
// results pinned bit for bit (a change to the port shows here first).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "util/bits.h"
#include "util/log10.h"

namespace tfq {
namespace {

TEST(Log10, SpecialValues) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(Log10(0.0), -inf);
  EXPECT_EQ(Log10(-0.0), -inf);
  EXPECT_TRUE(std::isnan(Log10(-1.0)));
  EXPECT_TRUE(std::isnan(Log10(-inf)));
  EXPECT_TRUE(std::isnan(Log10(std::numeric_limits<double>::quiet_NaN())));
  EXPECT_EQ(Log10(inf), inf);
  EXPECT_EQ(Log10(1.0), 0.0);
  for (int k = -300; k <= 300; k += 30) EXPECT_EQ(Log10(std::pow(10.0, k)), k) << k;
  EXPECT_NEAR(Log10(std::numeric_limits<double>::denorm_min()), -323.3062153431158, 1e-12);
}

// Within 2 units in the last place of glibc's (which rounds differently in
// the last bit for some arguments: the reason for Log10).
TEST(Log10, CloseToTheCLibrary) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exponent(-300, 300);
  for (int i = 0; i < 200000; ++i) {
    const double x = std::pow(10.0, exponent(rng));
    const double a = Log10(x), b = std::log10(x);
    const int64_t ulps = std::llabs(BitCast<int64_t>(a) - BitCast<int64_t>(b));
    ASSERT_LE(ulps, 2) << x;
  }
}

TEST(Log10, PinnedBits) {
  EXPECT_EQ(BitCast<uint64_t>(Log10(2.0)), 0x3fd34413509f79ffull);
  EXPECT_EQ(BitCast<uint64_t>(Log10(3.0)), BitCast<uint64_t>(0.47712125471966244));
  EXPECT_EQ(BitCast<uint64_t>(Log10(1e-7)), BitCast<uint64_t>(-7.0));
}

}  // namespace
}  // namespace tfq
