/** A Worker and a Client on a fresh embedded folder, for one test body; both closed after it, whatever happens. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Worker, type WorkerOptions } from '../../runtime/index.js';

export async function withLocalWorker<T>(workflows: WorkerOptions['workflows'], activities: WorkerOptions['activities'], body: (client: Client) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'reawait-local-'));
  const worker = new Worker({ store: 'local', dir, workflows, activities });
  await worker.run();
  const client = new Client({ store: 'local', dir });
  try {
    return await body(client);
  } finally {
    await client.close();
    await worker.close(1000);
  }
}
