// The plan: an encoding per tensor ("keep" leaves it as stored) and its size
// from the inspect report (no call into the module). Patterns are matched
// by the core (matchNames), as the CLI matches them.

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

/** "a/*, b" -> ["a/*", "b"]: comma-separated, blanks around each trimmed, empty ones dropped. */
export function splitPatterns(text) {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
