/**
 * Durations, as people write them: a number of milliseconds, or a string of
 * one or more `<number><unit>` parts (`'500ms'`, `'10s'`, `'1 minute'`,
 * `'30 days'`, `'2h30m'`, `'1 hour 15 minutes'`). This is the one grammar:
 * the runtime parses with it, and the compiler checks literal durations with
 * it (a leaf module with no imports, shared like contract.ts, so that what
 * compiles is exactly what runs). Months and years are refused: their length
 * varies.
 */

const UNITS: Readonly<Record<string, number>> = (() => {
  const table: Record<string, number> = {};
  const add = (ms: number, ...names: string[]) => names.forEach((n) => (table[n] = ms));
  add(1, 'ms', 'msec', 'msecs', 'millisecond', 'milliseconds');
  add(1000, 's', 'sec', 'secs', 'second', 'seconds');
  add(60_000, 'm', 'min', 'mins', 'minute', 'minutes');
  add(3_600_000, 'h', 'hr', 'hrs', 'hour', 'hours');
  add(86_400_000, 'd', 'day', 'days');
  add(604_800_000, 'w', 'week', 'weeks');
  return table;
})();

/** Every unit spelling the parser accepts (and the Duration type lists). */
export type DurationUnit =
  | 'ms' | 'msec' | 'msecs' | 'millisecond' | 'milliseconds'
  | 's' | 'sec' | 'secs' | 'second' | 'seconds'
  | 'm' | 'min' | 'mins' | 'minute' | 'minutes'
  | 'h' | 'hr' | 'hrs' | 'hour' | 'hours'
  | 'd' | 'day' | 'days'
  | 'w' | 'week' | 'weeks';

type Part = `${number}${DurationUnit}` | `${number} ${DurationUnit}`;
type ShortUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w';
type NamedUnit = 'week' | 'weeks' | 'day' | 'days' | 'hour' | 'hours' | 'minute' | 'minutes' | 'second' | 'seconds';

/**
 * A duration: milliseconds, or e.g. `'500ms'`, `'10s'`, `'1 minute'`,
 * `'30 days'`, `'2h30m'`, `'1 hour 30 minutes'`. The type lists one part,
 * two compact parts and two named parts (a union of about 200, so that
 * arrays and unions of durations stay cheap to check); longer compounds
 * such as `'1d2h3m'` parse too but need `as Duration`.
 */
export type Duration = number | Part | `${number}${ShortUnit}${number}${ShortUnit}` | `${number} ${NamedUnit} ${number} ${NamedUnit}`;

const EXAMPLES = `e.g. 500 (ms), '500ms', '10s', '1 minute', '30 days', '2h30m'`;
const PART = /(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]+)\s*,?\s*/y;

/** Why `d` is not a duration, or undefined when it is one. */
export function durationProblem(d: unknown): string | undefined {
  try {
    parseDuration(d as Duration);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** `d` in milliseconds; a TypeError that quotes `d` and says what is accepted when it is not a duration. */
export function parseDuration(d: Duration): number {
  if (typeof d === 'number') {
    if (!Number.isFinite(d) || d < 0) throw new TypeError(`invalid duration ${d}: expected a non-negative number of milliseconds`);
    return d;
  }
  if (typeof d !== 'string') throw new TypeError(`invalid duration ${typeof d === 'object' ? JSON.stringify(d) : String(d)}: expected a number of milliseconds or a string, ${EXAMPLES}`);
  const text = d.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text.startsWith('-')) throw new TypeError(`invalid duration '${d}': a duration cannot be negative`);
  let ms = 0;
  let at = 0;
  PART.lastIndex = 0;
  while (at < text.length) {
    PART.lastIndex = at;
    const m = PART.exec(text);
    if (!m) throw new TypeError(`invalid duration '${d}': cannot read '${text.slice(at)}'; expected ${EXAMPLES}`);
    const unit = m[2]!.toLowerCase();
    const factor = UNITS[unit];
    if (factor === undefined) {
      const why = /^(mo|mos|month|months|y|yr|yrs|year|years)$/.test(unit) ? ` (months and years vary in length: write days)` : `; units are ms, s, m, h, d, w (or their names: seconds, minutes, hours, days, weeks)`;
      throw new TypeError(`invalid duration '${d}': unknown unit '${m[2]}'${why}`);
    }
    ms += Number(m[1]) * factor;
    at = PART.lastIndex;
  }
  if (at === 0) throw new TypeError(`invalid duration '${d}': expected ${EXAMPLES}`);
  return ms;
}
