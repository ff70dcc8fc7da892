/**
 * Runs `task(0..count-1)` with at most `concurrency` in flight. Building 10,000 events one
 * request at a time would spend most of its time waiting on the loopback round trip; a
 * handful in flight keeps dynalite busy and the setup well under a minute.
 */
export async function boundedParallel(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
