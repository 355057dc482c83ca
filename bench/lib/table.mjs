// The one table every run prints: row, what, reawait, anchor, ratio, target, verdict.

export function fmtFigure(f) {
  if (!f || typeof f.value !== 'number') return '—';
  const v = f.value;
  const num = Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : Number(v.toPrecision(3)).toString();
  return `${num} ${f.unit}`;
}

export const fmtRatio = (r) => (typeof r === 'number' && Number.isFinite(r) ? `${r >= 100 ? Math.round(r) : r.toPrecision(3)}×` : '—');

export function verdict(line) {
  if (line.missing) return `n/a (missing: ${line.missing.join(', ')})`;
  if (line.error) return `ERROR`;
  if (line.ok === true) return 'OK';
  if (line.ok === false) return 'MISS';
  return 'info';
}

export function renderTable(lines) {
  const head = ['row', 'what', 'reawait', 'anchor', 'ratio', 'target', 'verdict'];
  const rows = lines.map((l) => [
    l.id,
    l.what,
    l.missing || l.error ? '—' : fmtFigure(l.reawait),
    l.missing || l.error ? '—' : l.anchor ? `${fmtFigure(l.anchor)} (${l.anchor.name})` : '—',
    l.missing || l.error ? '—' : fmtRatio(l.ratio),
    l.target ?? '—',
    verdict(l),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const fmt = (r) => `| ${r.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [fmt(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(fmt)].join('\n');
}
