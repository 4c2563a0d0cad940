/** Timing of one node in one run, in milliseconds of the monotonic clock (performance.now()). */
export interface NodeProfile {
  readonly start: number;
  readonly end: number;
  /** `end - start`: wall time, including time spent waiting on a promise. */
  readonly duration: number;
  /**
   * CPU time (user + system) of the process while the node's function ran; measured only for
   * nodes that complete synchronously, because an async node's CPU time mixes with others'.
   */
  readonly cpu?: number;
}

/** A Chrome Trace Event Format document, as Perfetto and chrome://tracing open it. */
export interface ChromeTrace {
  readonly traceEvents: readonly {
    readonly name: string;
    readonly cat: string;
    readonly ph: "X" | "M";
    readonly ts: number;
    readonly dur?: number;
    readonly pid: number;
    readonly tid: number;
    readonly args?: Record<string, unknown>;
  }[];
  readonly displayTimeUnit: "ms";
}

/**
 * Lays out profiles as complete ("X") events, one track per lane. Each node takes the first
 * lane free at its start, so overlapping nodes sit on separate tracks and the number of tracks
 * is the maximum concurrency reached. Times are microseconds from the first start.
 */
export function toChromeTrace(name: string, profiles: ReadonlyMap<string, NodeProfile>): ChromeTrace {
  const entries = [...profiles.entries()].sort(
    ([idA, a], [idB, b]) => a.start - b.start || a.end - b.end || (idA < idB ? -1 : 1),
  );
  const origin = entries.length > 0 ? entries[0]![1].start : 0;
  const laneEnds: number[] = [];
  const events: ChromeTrace["traceEvents"][number][] = [
    { name: "process_name", cat: "__metadata", ph: "M", ts: 0, pid: 1, tid: 0, args: { name } },
  ];

  for (const [id, profile] of entries) {
    let lane = laneEnds.findIndex((end) => end <= profile.start);
    if (lane === -1) lane = laneEnds.push(0) - 1;
    laneEnds[lane] = profile.end;
    events.push({
      name: id,
      cat: "node",
      ph: "X",
      ts: (profile.start - origin) * 1000,
      dur: profile.duration * 1000,
      pid: 1,
      tid: lane + 1,
      args: profile.cpu === undefined ? {} : { cpuMs: profile.cpu },
    });
  }
  return { traceEvents: events, displayTimeUnit: "ms" };
}
