/**
 * Store calls made after user work is done (settling a call's outcome, firing
 * a timer) must not be lost to a short Redis outage: the queue job would be
 * marked failed and the slot never settled. Retry them with backoff for a
 * while; a longer outage leaves the job to stall detection (redelivery).
 */
export async function retryStore<T>(what: string, op: () => Promise<T>, budgetMs = 60_000): Promise<T> {
  const deadline = Date.now() + budgetMs;
  let delay = 100;
  for (;;) {
    try {
      return await op();
    } catch (error) {
      if (Date.now() + delay > deadline) throw new Error(`${what} failed for ${budgetMs} ms: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2000);
    }
  }
}
