// Per (sample, output) comparison of a candidate output with the float32
// reference, accumulated in float64 so that tiny errors are not lost to
// rounding. The C++ side turns these sums into SNR / cosine / relative error,
// so raw sums are returned rather than a single derived score.

/** Number -> JSON-safe value: non-finite sums become null (see "nonfinite"). */
const j = x => (Number.isFinite(x) ? x : null);

function argmax(a) {
  let best = -1, bestV = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v > bestV || (best < 0 && v === bestV)) { bestV = v; best = i; }
  }
  return best; // -1 only when there is no comparable value (all NaN / empty)
}

export function compare(ref, out, input, output) {
  if (ref.length !== out.length) {
    throw new Error(`output "${output}" of sample ${input} has ${out.length} values, the reference has ${ref.length} (shape changed?)`);
  }
  let sig = 0, err = 0, maxabs = 0, dot = 0, nout = 0, nonfinite = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i], o = out[i];
    if (!Number.isFinite(o)) nonfinite++;
    const d = o - r;
    sig += r * r;
    err += d * d;
    dot += r * o;
    nout += o * o;
    const ad = Math.abs(d);
    if (ad > maxabs || Number.isNaN(ad)) maxabs = Number.isNaN(maxabs) ? maxabs : ad;
  }
  return {
    input, output, n: ref.length,
    sig: j(sig), err: j(err), maxabs: j(maxabs), dot: j(dot), nout: j(nout),
    argmax_ref: argmax(ref), argmax_out: argmax(out), nonfinite,
  };
}
