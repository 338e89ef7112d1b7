// The plan: an encoding per tensor ("keep" leaves it as stored), its size
// from the inspect report (no call into the module), and the name patterns
// of the CLI (Python's fnmatch, as src/select/glob.cc matches them).

export const TARGETS = ['keep', 'float32', 'uint8', 'uint16', 'float16'];
const WIDTH = { float32: 4, uint8: 1, uint16: 2, float16: 2 };

/** Whether the writer encodes this tensor as planned (else it stays as stored). */
export function encodable(t) {
  return t.quantizable && t.elements > 0 && (t.nan_count ?? 0) + (t.inf_count ?? 0) === 0;
}

/** Bytes of one tensor's weights under `target`, as inspect counts its totals. */
export function tensorBytes(t, target) {
  if (!target || target === 'keep' || !encodable(t)) return t.stored_bytes;
  return t.elements * WIDTH[target];
}

/** Total weight bytes of the report's tensors under `plan` (Map name -> target). */
export function plannedBytes(report, plan) {
  let n = 0;
  for (const t of report.tensors) n += tensorBytes(t, plan.get(t.name));
  return n;
}

const utf8 = new TextEncoder();

// fnmatch over UTF-8 bytes, as GlobMatch: *, ?, [seq], [!seq]; a '[' that
// is not closed is a literal.
function matchClass(p, i, c) {
  let j = i + 1;
  let negate = false;
  if (j < p.length && p[j] === 0x21) {
    negate = true;
    ++j;
  }
  let k = j;
  if (k < p.length && p[k] === 0x5d) ++k;
  while (k < p.length && p[k] !== 0x5d) ++k;
  if (k >= p.length) return { next: -1, matched: false };
  let inside = false;
  for (let m = j; m < k; ++m) {
    if (m + 2 < k && p[m + 1] === 0x2d) {
      if (p[m] <= c && c <= p[m + 2]) inside = true;
      m += 2;
    } else if (p[m] === c) {
      inside = true;
    }
  }
  return { next: k + 1, matched: inside !== negate };
}

export function globMatch(pattern, name) {
  const p = utf8.encode(pattern);
  const s = utf8.encode(name);
  let pi = 0;
  let si = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    if (pi < p.length) {
      const pc = p[pi];
      if (pc === 0x2a) {
        starP = pi++;
        starS = si;
        continue;
      }
      if (pc === 0x3f) {
        ++pi;
        ++si;
        continue;
      }
      if (pc === 0x5b) {
        const { next, matched } = matchClass(p, pi, s[si]);
        if (next < 0) {
          if (s[si] === 0x5b) {
            ++pi;
            ++si;
            continue;
          }
        } else if (matched) {
          pi = next;
          ++si;
          continue;
        }
      } else if (pc === s[si]) {
        ++pi;
        ++si;
        continue;
      }
    }
    if (starP < 0) return false;
    pi = starP + 1;
    si = ++starS;
  }
  while (pi < p.length && p[pi] === 0x2a) ++pi;
  return pi === p.length;
}

/** "a/*, b" -> ["a/*", "b"]: comma-separated, blanks around each trimmed, empty ones dropped. */
export function splitPatterns(text) {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** The names of `tensors` that match any of `patterns`. */
export function matching(tensors, patterns) {
  return tensors.filter((t) => patterns.some((p) => globMatch(p, t.name))).map((t) => t.name);
}
