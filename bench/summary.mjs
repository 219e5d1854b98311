/**
 * From raw samples to the figures the report shows: median and min–max over rounds, and ratios
 * to ws taken round by round (each server against the ws measurement of the same round, which ran
 * next to it in time) so slow drift of the machine cancels out.
 */

/**
 * @typedef {{ median: number, min: number, max: number, n: number }} Spread
 * @typedef {{ round: number, ok: true, result: Record<string, number> } |
 *   { round: number, ok: false, error: string }} Sample
 */

/**
 * @param {number[]} values
 * @returns {Spread | null}
 */
export function spread(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

/**
 * One figure of one server over rounds, and its ratio to the baseline's same-round figure.
 * @param {Sample[]} samples
 * @param {Sample[] | undefined} baseline ws samples of the same workload
 * @param {(result: Record<string, number>) => number | null} figure
 * @returns {{ value: Spread | null, ratio: Spread | null }}
 */
export function figureOf(samples, baseline, figure) {
  const ok = samples.filter((s) => s.ok);
  const value = spread(ok.map((s) => figure(s.result) ?? NaN));
  const ratios = [];
  for (const s of ok) {
    const base = baseline?.find((b) => b.round === s.round && b.ok);
    if (!base) continue;
    const a = figure(s.result);
    const b = figure(base.result);
    if (a != null && b != null && b !== 0) ratios.push(a / b);
  }
  return { value, ratio: spread(ratios) };
}

/** Errors of failed rounds, deduplicated, for the report's footnotes. @param {Sample[]} samples */
export function failuresOf(samples) {
  return [...new Set(samples.filter((s) => !s.ok).map((s) => s.error))];
}

/**
 * A number with three significant digits and a k/M suffix for large values.
 * @param {number} v
 */
export function formatNumber(v) {
  const abs = Math.abs(v);
  if (abs >= 1e6) return `${trim(v / 1e6)}M`;
  if (abs >= 1e4) return `${trim(v / 1e3)}k`;
  return trim(v);
}

function trim(v) {
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return v.toFixed(digits);
}

/** `median (min–max)`, or the median alone for a single round. @param {Spread | null} s */
export function formatSpread(s, format = formatNumber) {
  if (!s) return '–';
  if (s.n === 1 || s.min === s.max) return format(s.median);
  return `${format(s.median)} (${format(s.min)}–${format(s.max)})`;
}

/** A ratio as `0.52× (0.50–0.55)`. @param {Spread | null} s */
export function formatRatio(s) {
  if (!s) return '–';
  const f = (v) => v.toFixed(2);
  if (s.n === 1 || s.min === s.max) return `${f(s.median)}×`;
  return `${f(s.median)}× (${f(s.min)}–${f(s.max)})`;
}
