// Activities for the video example. Encoding is simulated: it takes visible
// time (VIDEO_ENCODE_MS, default 800 ms per file) and honours cancellation.
import { activityContext } from 'reawait';

const encodeMs = (): number => Number(process.env.VIDEO_ENCODE_MS ?? 800);

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });
}

/** "Encode" one video; returns the output file name. */
export async function encodeVideo(path: string): Promise<string> {
  const { signal } = activityContext();
  await wait(encodeMs(), signal);
  return path.replace(/\.[^./]+$/, '') + '.720p.mp4';
}

/** Build an M3U playlist of the encoded files. */
export async function createPlaylist(files: string[]): Promise<string> {
  return ['#EXTM3U', ...files.flatMap((f) => [`#EXTINF:-1,${f}`, f])].join('\n');
}
