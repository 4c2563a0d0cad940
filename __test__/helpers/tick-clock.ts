import { nextMacrotask } from "./process-failures.js";

/**
 * A fake clock for deterministic scheduling tests. Node functions made by `task` last a whole
 * number of ticks: each returns a promise that resolves when the test advances the clock to
 * its end tick, so no wall time is involved. Every start and end is logged with its tick.
 *
 * Between two ticks the clock waits for the next macrotask, which lets every promise reaction
 * run: the scheduler receives the completions and launches what it can before the clock moves on.
 * The scheduler must not use timers itself for this to hold.
 */
export class TickClock {
  /** The current tick. */
  now = 0;
  /** Start and end events in the order they happened, as `"<tick> start <name>"` / `"<tick> end <name>"`. */
  readonly events: string[] = [];
  /** The names running at each tick once the scheduler has launched what it can, in start order. */
  readonly runningAt: string[][] = [];

  private readonly running: string[] = [];
  private timers: { due: number; finish: () => void }[] = [];

  /**
   * Returns a node function that logs its start, lasts `ticks` ticks (at least 1) and
   * resolves to `name`, or rejects with `error` when one is given.
   */
  task(name: string, ticks: number, error?: Error): (...args: unknown[]) => Promise<string> {
    if (!Number.isInteger(ticks) || ticks < 1) {
      throw new RangeError(`task ${name}: ticks must be an integer ≥ 1, received ${ticks}`);
    }
    return () => {
      this.start(name);
      return new Promise<string>((resolve, reject) => {
        this.timers.push({
          due: this.now + ticks,
          finish: () => {
            this.end(name);
            if (error === undefined) resolve(name);
            else reject(error);
          },
        });
      });
    };
  }

  /** Returns a synchronous node function that starts and ends at the current tick and returns `name`. */
  instant(name: string): (...args: unknown[]) => string {
    return () => {
      this.start(name);
      this.end(name);
      return name;
    };
  }

  /** The node names in the order they started. */
  get startOrder(): string[] {
    return this.events
      .filter((event) => event.split(" ")[1] === "start")
      .map((event) => event.split(" ")[2]!);
  }

  /** The number of nodes running at each tick. */
  get runningCounts(): number[] {
    return this.runningAt.map((names) => names.length);
  }

  /** True while a task has not reached its end tick. */
  get busy(): boolean {
    return this.timers.length > 0;
  }

  /**
   * Advances tick by tick until `promise` settles, recording who runs at each tick, and
   * returns the promise (so `await clock.run(p)` rejects as `p` does). Throws when the promise
   * is still pending after `maxTicks` ticks, which means the run is stuck.
   */
  async run<T>(promise: Promise<T>, maxTicks = 200): Promise<T> {
    let settled = false;
    promise.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );

    for (;;) {
      await nextMacrotask();
      this.runningAt[this.now] = [...this.running];
      if (settled) return promise;
      if (this.now >= maxTicks) {
        throw new Error(`the run is still pending after ${maxTicks} ticks`);
      }
      this.advance();
    }
  }

  /** Advances until every started task has ended, recording who runs at each tick. */
  async drain(maxTicks = 200): Promise<void> {
    while (this.busy) {
      if (this.now >= maxTicks) throw new Error(`tasks are still running after ${maxTicks} ticks`);
      this.advance();
      await nextMacrotask();
      this.runningAt[this.now] = [...this.running];
    }
  }

  /** Moves to the next tick and ends the tasks due, in the order they started. */
  advance(): void {
    this.now += 1;
    const due = this.timers.filter((timer) => timer.due <= this.now);
    this.timers = this.timers.filter((timer) => timer.due > this.now);
    for (const timer of due) timer.finish();
  }

  private start(name: string): void {
    this.events.push(`${this.now} start ${name}`);
    this.running.push(name);
  }

  private end(name: string): void {
    this.events.push(`${this.now} end ${name}`);
    this.running.splice(this.running.indexOf(name), 1);
  }
}
