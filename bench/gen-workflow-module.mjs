/**
 * A generated workflow module of about `targetLines` lines (default 10,000):
 * many 'use workflow' functions in TypeScript with the constructs real ones
 * use — sequential and parallel awaits, loops with awaits, try/catch/finally,
 * switch, closures, destructuring, plain helpers — so that compile speed is
 * measured on realistic input, not one pathological shape.
 *
 *   node bench/gen-workflow-module.mjs [lines] > big.ts
 */
import { fileURLToPath } from 'node:url';

const HEADER = `import { proxyActivities, sleep } from 'reawait/workflow';

interface Order { id: string; items: { sku: string; qty: number; price: number }[]; coupon?: string }
interface Activities {
  fetchOrder(id: string): Promise<Order>;
  reserve(sku: string, qty: number): Promise<boolean>;
  charge(id: string, amount: number): Promise<string>;
  notify(to: string, text: string): Promise<void>;
  score(n: number): Promise<number>;
}
const { fetchOrder, reserve, charge, notify, score } = proxyActivities<Activities>({ retries: 2, timeout: 30_000 });

function total(order: Order): number {
  return order.items.reduce((s, it) => s + it.qty * it.price, 0);
}
`;

function workflow(i) {
  const k = i % 4;
  // Only constructs Babel's regenerator lowers on its own (no destructuring,
  // for-of, template literals, spread or optional chaining inside the async
  // function), so that all three pipelines of row 1 take the same input.
  return `
/** Generated workflow #${i}. */
export async function flow${i}(orderId: string, limit: number = ${10 + (i % 7)}): Promise<{ receipt: string; score: number; log: string[] }> {
  'use workflow';
  const log: string[] = [];
  const order: Order = await fetchOrder(orderId);
  const items = order.items;
  const coupon = order.coupon === undefined ? 'none' : order.coupon;
  let amount = total(order);
  if (coupon !== 'none' && amount > ${100 + i}) {
    amount = Math.round(amount * 0.9);
    log.push('coupon ' + coupon);
  }
  const reserved = await Promise.all(items.map((it) => reserve(it.sku, it.qty)));
  if (reserved.some((ok) => !ok)) {
    await notify(orderId, 'out of stock');
    return { receipt: '', score: 0, log };
  }
  let acc = ${i};
  for (let n = 0; n < limit; n++) {
    if (n % ${2 + k} === 0) continue;
    acc += await score(n + acc);
    if (acc > ${1000 + i * 3}) break;
  }
  switch (acc % ${3 + k}) {
    case 0:
      log.push('zero');
      await sleep('${1 + k}s');
      break;
    case 1:
      log.push('one');
    // falls through
    default:
      log.push('other ' + acc);
  }
  let receipt = '';
  let attempts = 0;
  while (attempts < 3) {
    try {
      receipt = await charge(orderId, amount + attempts);
      break;
    } catch (e) {
      attempts++;
      log.push('retry ' + (e as Error).message);
      if (attempts === 3) throw e;
    } finally {
      log.push('attempt ' + attempts);
    }
  }
  const lines = items.map((it) => it.sku + ' x' + it.qty).join(', ');
  await notify(orderId, 'charged ' + amount + ' for ' + lines);
  return { receipt: receipt, score: acc, log: log };
}
`;
}

export function generateWorkflowModule(targetLines = 10_000) {
  let src = HEADER;
  let lines = src.split('\n').length;
  for (let i = 0; lines < targetLines; i++) {
    const w = workflow(i);
    src += w;
    lines += w.split('\n').length - 1;
  }
  return src;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(generateWorkflowModule(Number(process.argv[2] ?? 10_000)));
}
