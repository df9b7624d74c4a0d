/**
 * When this process answers the engine's create, update and delete calls.
 *
 * Pulumi 3.248's engine, on an update that fails partially, replaces the resource's inputs in
 * its state with the old ones (pkg/engine/update.go, OnResourceStepPost) without holding the
 * state's lock, while its snapshot manager may be writing that state for another step that has
 * just ended: the CLI dies with "fatal error: concurrent map iteration and map write". The
 * containers of one host end in the same instant (one round), so this provider would make that
 * likely. A partially failed update is therefore answered alone: after a quiet gap since the
 * last answer, and the next answer waits the gap again. Nothing else is delayed, and success
 * costs nothing.
 */

/** Long enough for the engine to record one step's end (a few ms for a stack of hundreds of containers). */
export const QUIET_GAP_MS = 300;

export interface AnswerPacer {
  /** Wait until an ordinary answer may leave. */
  turn(): Promise<void>;
  /** Wait until a partially failed update may leave, alone; the answers after it wait the gap. */
  alone(): Promise<void>;
}

export function answerPacer(gapMs = QUIET_GAP_MS, now: () => number = Date.now): AnswerPacer {
  let lastAnswer = 0;
  let quietUntil = 0;
  let queue: Promise<void> = Promise.resolve();
  const sleep = (ms: number) => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve());
  /** Answers leave one at a time, in order, each after waiting what `wait` says is left. */
  const inTurn = (wait: () => number, after: () => void): Promise<void> => {
    const mine = queue.then(async () => {
      await sleep(wait());
      lastAnswer = now();
      after();
    });
    queue = mine.catch(() => undefined);
    return mine;
  };
  return {
    turn: () => inTurn(() => quietUntil - now(), () => undefined),
    alone: () =>
      inTurn(
        () => Math.max(quietUntil, lastAnswer + gapMs) - now(),
        () => (quietUntil = now() + gapMs),
      ),
  };
}
