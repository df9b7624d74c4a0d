/**
 * Hosts at once, up to a limit (a NixosFleet's maxParallelHosts): the next host starts as soon as
 * one finishes, in the order given. Results keep that order.
 */
export async function atMost<T, R>(limit: number | undefined, items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const slots = Math.max(1, Math.min(limit ?? items.length, items.length));
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await run(items[i]);
  };
  await Promise.all(Array.from({ length: slots }, worker));
  return results;
}
