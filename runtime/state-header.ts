/**
 * A state document begins `{"v":1,"workflow":…,"version":…,` (codec.ts
 * encodeState). A store whose record already holds the execution's workflow
 * and version need not keep them a second time in every state it writes:
 * on Redis that is ~50 bytes of each idle execution (bench row 7c).
 * compactState drops the two fields when they are exactly the record's;
 * expandState puts them back, so the document read equals the one written.
 */
import { STATE_VERSION } from './contract.js';

const head = (workflow: string, version: string): string => `{"v":${STATE_VERSION},"workflow":${JSON.stringify(workflow)},"version":${JSON.stringify(version)},`;
const COMPACT = /^\{"v":(\d+),"fibers":/;

/** The state without its workflow and version, or the text itself when its header is not exactly these. */
export function compactState(text: string, workflow: string, version: string): string {
  const h = head(workflow, version);
  return text.startsWith(h) ? `{"v":${STATE_VERSION},${text.slice(h.length)}` : text;
}

/** The inverse of compactState; a text that was kept whole comes back unchanged. */
export function expandState(stored: string, workflow: string, version: string): string {
  const m = COMPACT.exec(stored);
  if (!m) return stored;
  return `{"v":${m[1]},"workflow":${JSON.stringify(workflow)},"version":${JSON.stringify(version)},${stored.slice(m[0].length - '"fibers":'.length)}`;
}
