/**
 * Bench workflow sources. The same body runs compiled (activities are
 * proxyActivities stubs) and native / through regenerator (activities are
 * imported and called directly).
 */
import { pathToFileURL } from 'node:url';
import { distUrl } from './paths.mjs';

const ACTIVITIES_URL = pathToFileURL(new URL('./activities.mjs', import.meta.url).pathname).href;

/** `body` with its activities bound: 'compiled' → durable stubs, 'native' → direct imports. */
export function withActivities(body, names, mode) {
  const list = names.join(', ');
  const header =
    mode === 'compiled'
      ? `import { proxyActivities } from '${distUrl('runtime/workflow.js')}';\nconst { ${list} } = proxyActivities();\n`
      : `import { ${list} } from '${ACTIVITIES_URL}';\n`;
  return header + body;
}

export const activitiesUrl = ACTIVITIES_URL;

/** A workflow source from the repo (examples/, fixtures/) with its `reawait/workflow` import pointed at the build. */
export function rebase(source) {
  return source.replace(/(['"])reawait\/workflow\1/g, `'${distUrl('runtime/workflow.js')}'`);
}
