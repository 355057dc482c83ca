/**
 * `node --import reawait/register app.ts`: run a TypeScript app on Node 20
 * with its workflows compiled on load (loader-hooks.ts), and stack traces
 * mapped back to the source.
 */
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./loader-hooks.js', import.meta.url);
