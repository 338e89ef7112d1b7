// Small deterministic PRNG for default inputs. Math.random is not seedable and
// tf.randomUniform's sequence depends on tfjs internals; mulberry32 is tiny,
// fast, and gives the same numbers on every platform and Node version.

/** mulberry32: returns a function yielding uniform floats in [0,1). */
export function mulberry32(a) {
  let s = a >>> 0;
  return function next() {
    s = (s + 0x6D2B79F5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// 32-bit mix (murmur3 finalizer) so that neighbouring (seed, input, sample)
// triples give unrelated streams.
function mix32(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Seed for (seed, inputIndex, sampleIndex); all three are small integers. */
export function streamSeed(seed, inputIndex, sampleIndex) {
  let h = mix32((seed | 0) ^ 0x9E3779B9);
  h = mix32(h ^ Math.imul((inputIndex | 0) + 1, 0x27d4eb2d));
  h = mix32(h ^ Math.imul((sampleIndex | 0) + 1, 0x165667b1));
  return h;
}
