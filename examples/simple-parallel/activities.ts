// Activities: ordinary functions that run on workers.
export async function add(a: number, b: number): Promise<number> {
  return a + b;
}

export async function multiply(a: number, b: number): Promise<number> {
  return a * b;
}

export async function sum(values: number[]): Promise<number> {
  return values.reduce((acc, v) => acc + v, 0);
}
