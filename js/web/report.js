// The inspect report as `tfjs-quant inspect --html` draws it (totals, the
// tensor table, a histogram per float32 tensor with the uint8 grid over
// it), plus the page's own columns: the encoding to write, its bytes, and
// auto's reason. Sorting: a button in each column header (click or Enter),
// aria-sort on the header.
import { TARGETS, encodable, tensorBytes } from './plan.js';

export const fmtInt = (n) => Math.round(n).toLocaleString('en-US');

// A dB figure as the CLI prints it: null (infinite SQNR) is "exact".
export function fmtDb(db) {
  if (db === null || db === undefined) return 'exact';
  return db.toFixed(1);
}

const escapeMap = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (s) => String(s).replace(/[&<>"']/g, (c) => escapeMap[c]);

// %.4g, as the CLI's histogram labels.
const g4 = (x) => {
  const s = Number(x).toPrecision(4);
  return s.includes('e') ? s.replace(/\.?0+e/, 'e') : s.includes('.') ? s.replace(/\.?0+$/, '') : s;
};

const W = 320;
const H = 56;

/** The SVG histogram of a tensor (64 bins, square-root height) with its uint8 levels as red lines. */
export function histogramSvg(t, id) {
  const label = `histogram of ${esc(t.name)}`;
  const bins = Array.isArray(t.histogram) ? t.histogram : [];
  let peak = 1;
  for (const c of bins) peak = Math.max(peak, c);
  let path = '';
  const bw = bins.length ? W / bins.length : 0;
  bins.forEach((c, b) => {
    if (!c) return;
    const h = Math.max(1, H * Math.sqrt(c / peak));
    path += `M${(b * bw).toFixed(1)} ${(H - h).toFixed(1)}h${bw.toFixed(1)}V${H}h${(-bw).toFixed(1)}Z`;
  });
  let grid = '';
  const range = t.max - t.min;
  const g = t.uint8_grid;
  if (g && !g.constant && range > 0 && g.scale > 0) {
    // One line per uint8 code, as a pattern: small whatever the count.
    const step = (g.scale / range) * W;
    const x0 = ((g.min - t.min) / range) * W;
    grid = `<defs><pattern id="g${id}" patternUnits="userSpaceOnUse" x="${x0.toFixed(4)}" width="${step.toFixed(6)}" ` +
           `height="${H}"><line x1="0" y1="0" x2="0" y2="${H}" stroke="#d33" stroke-width="${Math.min(1, step * 0.5).toFixed(3)}" ` +
           `stroke-opacity="0.55"/></pattern></defs><rect class="grid" x="0" y="0" width="${W}" height="${H}" fill="url(#g${id})"/>`;
  }
  const note = bins.length ? '' : `<text class="none" x="${W / 2}" y="${H / 2 + 3}" text-anchor="middle">(no histogram in this report)</text>`;
  return `<svg class="hist" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${label}, ` +
         `values from ${g4(t.min)} to ${g4(t.max)}">${grid}<path d="${path}" fill="#3567b5" fill-opacity="0.8"/>` +
         `<text x="2" y="10">${g4(t.min)}</text><text x="${W}" y="10" text-anchor="end">${g4(t.max)}</text>${note}</svg>`;
}

const RISK_RANK = { high: 0, medium: 1, low: 2, none: 3 };
const riskText = (r) => (r === 'none' ? '-' : r);
const dbKey = (measured, db) => (!measured ? 1e10 : db === null ? 1e9 : db);
const worstCh = (t) => (t.channels > 1 ? t.uint8?.worst_channel_sqnr_db : t.uint8?.sqnr_db);

/**
 * The tensor table's columns: header, sort key of a tensor (given the
 * plan and auto's reasons), and the cell's HTML.
 */
export const COLUMNS = [
  { id: 'risk', title: 'risk', key: (t) => RISK_RANK[t.risk] ?? 3,
    cell: (t) => `<td class="risk">${esc(riskText(t.risk))}</td>` },
  { id: 'name', title: 'name', key: (t) => t.name, th: true,
    cell: (t) => `<th scope="row" class="name">${esc(t.name)}</th>` },
  { id: 'target', title: 'encoding', key: (t, s) => TARGETS.indexOf(s.plan.get(t.name) ?? 'keep'),
    cell: (t, s, i) => {
      const target = s.plan.get(t.name) ?? 'keep';
      const opts = TARGETS.map((o) => `<option value="${o}"${o === target ? ' selected' : ''}>${o}</option>`).join('');
      const off = t.quantizable ? '' : ' disabled';
      return `<td class="target"><select name="target" id="target-${i}" aria-label="encoding of ${esc(t.name)}"` +
             `${off}>${opts}</select></td>`;
    } },
  { id: 'planned', title: 'bytes planned', key: (t, s) => tensorBytes(t, s.plan.get(t.name)), numeric: true,
    cell: (t, s) => `<td class="n planned">${fmtInt(tensorBytes(t, s.plan.get(t.name)))}</td>` },
  { id: 'shape', title: 'shape', key: (t) => t.elements, cell: (t) => `<td>[${t.shape.join(',')}]</td>` },
  { id: 'stored', title: 'stored', key: (t) => t.stored_encoding, cell: (t) => `<td>${esc(t.stored_encoding)}</td>` },
  { id: 'bytes', title: 'bytes', key: (t) => t.stored_bytes, numeric: true,
    cell: (t) => `<td class="n">${fmtInt(t.stored_bytes)}</td>` },
  ...[['u8', 'uint8 dB', (t) => t.uint8?.sqnr_db], ['worst', 'worst ch dB', worstCh],
      ['u16', 'uint16 dB', (t) => t.uint16?.sqnr_db], ['f16', 'float16 dB', (t) => t.float16?.sqnr_db]]
    .map(([id, title, get]) => ({
      id, title, numeric: true, key: (t) => dbKey(encodable(t), get(t)),
      cell: (t) => `<td class="n">${encodable(t) ? fmtDb(get(t)) : '-'}</td>`,
    })),
  { id: 'levels', title: 'levels', numeric: true, key: (t) => (encodable(t) ? t.uint8_levels_used : 0),
    cell: (t) => `<td class="n">${encodable(t) ? t.uint8_levels_used : 0}</td>` },
  { id: 'hist', title: 'histogram', key: null,
    cell: (t, s, i) => `<td class="histo">${t.quantizable && t.elements ? histogramSvg(t, i) : ''}</td>` },
  { id: 'reason', title: 'reason', key: (t) => t.reason ?? '', cell: (t) => `<td class="reason">${esc(t.reason ?? '')}</td>` },
  { id: 'why', title: 'auto: why', key: (t, s) => s.why.get(t.name) ?? '',
    cell: (t, s) => `<td class="why">${esc(s.why.get(t.name) ?? '')}</td>` },
];

/** Fills table#totals from the report's totals (gzip and brotli shown as pending when not measured yet). */
export function renderTotals(table, totals, wireDone) {
  const rows = [['as stored', 'stored'], ['all uint8', 'uint8'], ['all uint16', 'uint16'], ['all float16', 'float16']];
  const wire = (n) => (wireDone ? fmtInt(n) : '<span class="pending">measuring…</span>');
  table.tBodies[0].innerHTML = rows.map(([label, k]) => {
    const v = totals[k] ?? { bytes: 0, gzip: 0, brotli: 0 };
    return `<tr data-variant="${k}"><th scope="row">${label}</th><td class="n" data-bytes="${v.bytes}">${fmtInt(v.bytes)}</td>` +
           `<td class="n gzip">${wire(v.gzip)}</td><td class="n brotli">${wire(v.brotli)}</td></tr>`;
  }).join('');
  table.dataset.wire = wireDone ? 'done' : 'pending';
  table.setAttribute('aria-busy', wireDone ? 'false' : 'true');
}

/** The tensor table's header row (buttons that sort). */
export function renderHead(table) {
  table.tHead.innerHTML = `<tr>${COLUMNS.map((c) => (c.key
    ? `<th scope="col" data-col="${c.id}"${c.numeric ? ' class="n"' : ''}><button type="button" class="sort">${c.title}` +
      '<span class="arrow" aria-hidden="true"></span></button></th>'
    : `<th scope="col" data-col="${c.id}">${c.title}</th>`)).join('')}</tr>`;
}

/** One row per tensor, in the report's order (riskiest first). */
export function renderRows(table, tensors, state) {
  table.tBodies[0].innerHTML = tensors.map((t, i) =>
    `<tr data-name="${esc(t.name)}" data-index="${i}" class="${t.risk}">` +
    `${COLUMNS.map((c) => c.cell(t, state, i)).join('')}</tr>`).join('');
}

/**
 * Sorts the rows by column `id` (ascending first, then toggling), moving
 * the row elements (their selects keep their values and focus).
 */
export function sortRows(table, tensors, state, id) {
  const col = COLUMNS.find((c) => c.id === id);
  if (!col?.key) return;
  const th = table.tHead.querySelector(`th[data-col="${id}"]`);
  const dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
  for (const h of table.tHead.querySelectorAll('th[aria-sort]')) h.removeAttribute('aria-sort');
  th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
  const tbody = table.tBodies[0];
  const rows = [...tbody.rows];
  const keys = new Map(rows.map((r) => [r, col.key(tensors[Number(r.dataset.index)], state)]));
  rows.sort((a, b) => {
    const x = keys.get(a);
    const y = keys.get(b);
    if (typeof x === 'number' && typeof y === 'number') return dir * (x - y);
    return dir * String(x).localeCompare(String(y));
  });
  const focused = document.activeElement;
  tbody.append(...rows);
  if (focused && focused !== document.activeElement && document.contains(focused)) focused.focus();
}

/** Updates a row's planned bytes and reason cells after the plan or auto changed. */
export function updateRow(row, t, state) {
  row.querySelector('td.planned').textContent = fmtInt(tensorBytes(t, state.plan.get(t.name)));
  row.querySelector('td.why').textContent = state.why.get(t.name) ?? '';
  const select = row.querySelector('select[name=target]');
  const target = state.plan.get(t.name) ?? 'keep';
  if (select.value !== target) select.value = target;
}
