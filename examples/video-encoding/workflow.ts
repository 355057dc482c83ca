import { proxyActivities } from 'reawait/workflow';
import type * as activities from './activities.js';

const { encodeVideo, createPlaylist } = proxyActivities<typeof activities>({
  retries: 3,
  backoff: { type: 'exponential', delay: 500 },
  timeout: 10 * 60_000,
});

/** Encode every video in parallel, then make a playlist of the results. */
export async function videoPipeline(files: string[]) {
  'use workflow';
  const encoded = await Promise.all(files.map((f) => encodeVideo(f)));
  const playlist = await createPlaylist(encoded);
  return { playlist, count: encoded.length };
}
