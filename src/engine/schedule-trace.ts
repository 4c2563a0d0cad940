/**
 * A recorded schedule: the inputs an engine received in one run (completions, in order, before
 * each take) and what it returned (each batch), plus the final states.
 *
 * Engines are deterministic, so a later run of the same graph and plan that reports the same
 * completions before each take gets the same batches. Such a run can follow the trace and skip
 * the engine: no ready queue to build, and on the native engine no Node-API call, which matters
 * on narrow graphs (a chain makes one take per node). A run that departs from the trace replays
 * the matched steps into a real engine run and goes on from there.
 */
export class ScheduleTrace {
  /** Completion pairs (node, outcome) of every step, back to back. */
  completions: Uint32Array = new Uint32Array(64);
  /** Batch nodes of every step, back to back. */
  batches: Uint32Array = new Uint32Array(64);
  /** Start of each step's completion pairs in `completions`, counted in pairs, then the end. */
  completionStarts: Uint32Array = new Uint32Array(64);
  /** Start of each step's batch in `batches`, then the end. */
  batchStarts: Uint32Array = new Uint32Array(64);
  steps = 0;
  /** Size of the largest batch, for the buffer a departing run replays the steps with. */
  largestBatch = 0;
  private completionCount = 0;
  private batchCount = 0;
  /** The states when the recorded run finished, or undefined while it is being recorded. */
  finalStates: Uint8Array | undefined;

  /** Records one take: the completions reported since the previous take, then the batch it returned. */
  recordStep(completions: Uint32Array, pairs: number, batch: Uint32Array, count: number): void {
    this.completions = ensureLength(this.completions, (this.completionCount + pairs) * 2);
    this.completions.set(completions.subarray(0, pairs * 2), this.completionCount * 2);
    this.completionCount += pairs;

    this.batches = ensureLength(this.batches, this.batchCount + count);
    this.batches.set(batch.subarray(0, count), this.batchCount);
    this.batchCount += count;
    this.largestBatch = Math.max(this.largestBatch, count);

    this.completionStarts = ensureLength(this.completionStarts, this.steps + 2);
    this.batchStarts = ensureLength(this.batchStarts, this.steps + 2);
    this.steps += 1;
    this.completionStarts[this.steps] = this.completionCount;
    this.batchStarts[this.steps] = this.batchCount;
  }

  /** Ends the recording of a run that finished; the trace can be followed from now on. */
  complete(states: Uint8Array): void {
    this.finalStates = states.slice();
    this.completions = this.completions.slice(0, this.completionCount * 2);
    this.batches = this.batches.slice(0, this.batchCount);
    this.completionStarts = this.completionStarts.slice(0, this.steps + 1);
    this.batchStarts = this.batchStarts.slice(0, this.steps + 1);
  }
}

/** Returns `array`, or a copy twice as large (or more) when it is shorter than `length`. */
export function ensureLength(array: Uint32Array, length: number): Uint32Array {
  if (array.length >= length) return array;
  const grown = new Uint32Array(Math.max(length, array.length * 2));
  grown.set(array);
  return grown;
}

/**
 * The traces of one compiled graph, by plan. A plan whose runs departed from their trace
 * twice is left untraced: its schedule depends on timing (async nodes of a wide graph), so
 * recording and replaying would only add work.
 */
export class TraceShelf {
  private readonly traces = new Map<string, ScheduleTrace>();
  private readonly departures = new Map<string, number>();

  /** Returns the finished trace of a plan, if any. */
  find(key: string): ScheduleTrace | undefined {
    const trace = this.traces.get(key);
    return trace?.finalStates === undefined ? undefined : trace;
  }

  /** Returns a new trace to record a run into, or undefined when the plan is no longer traced. */
  startRecording(key: string): ScheduleTrace | undefined {
    if ((this.departures.get(key) ?? 0) >= maxDepartures) return undefined;
    if (this.traces.get(key)?.finalStates !== undefined) return undefined;
    const trace = new ScheduleTrace();
    this.traces.set(key, trace);
    return trace;
  }

  /** Forgets the trace of a plan after a run departed from it. */
  departed(key: string): void {
    this.traces.delete(key);
    this.departures.set(key, (this.departures.get(key) ?? 0) + 1);
  }
}

const maxDepartures = 2;
