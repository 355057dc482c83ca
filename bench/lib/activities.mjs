// In-memory activities the bench workflows call: trivial bodies, so that a
// row measures the machinery around the call, not the call.
export async function inc(i) {
  return i + 1;
}
export async function seed(n) {
  return n % 7;
}
export async function report(value) {
  return value;
}
export async function step(i) {
  return i;
}
export async function encodeVideo(path) {
  return path.replace(/\.[^./]+$/, '') + '.720p.mp4';
}
export async function createPlaylist(files) {
  return ['#EXTM3U', ...files.flatMap((f) => [`#EXTINF:-1,${f}`, f])].join('\n');
}

/** Row 6 listens here: stamp(r) reports the moment its activity runs. */
export const stampLog = { onStamp: null };
export async function stamp(r) {
  stampLog.onStamp?.(r);
  return r;
}
