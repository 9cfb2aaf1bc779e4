/** The phases of a copy, in order; each reports its duration in the result. */
export const COPY_PHASES = ['preflight', 'schema', 'data', 'keep', 'constraints', 'verify'] as const;
export type CopyPhase = (typeof COPY_PHASES)[number];

export type CopyEvent =
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'phase'; readonly phase: CopyPhase; readonly status: 'started' | 'finished'; readonly seconds?: number }
  | {
      readonly type: 'table';
      readonly table: string;
      readonly mode: string;
      readonly rows: number;
      readonly bytes: number;
      readonly seconds: number;
      /** How many parts it was copied in: more than 1 when several workers copied it side by side. */
      readonly parts: number;
    }
  | {
      readonly type: 'progress';
      readonly tablesDone: number;
      readonly tablesTotal: number;
      readonly rows: number;
      readonly bytes: number;
      readonly bytesTotal: number;
      /** MiB (1024 × 1024 bytes) per second, as every size dataalm shows. */
      readonly mbPerSecond: number;
      readonly etaSeconds: number | null;
    };

export interface TableResult {
  readonly table: string;
  readonly mode: string;
  /** Rows read from the source snapshot (or keep-from) and written to the copy. */
  readonly rows: number;
  readonly bytes: number;
  readonly masked: readonly string[];
  readonly keptColumns: readonly string[];
}

export interface CopyResult {
  readonly database: string;
  readonly profile: string;
  readonly jobs: number;
  readonly tables: number;
  readonly rows: number;
  /** Bytes of COPY data streamed. */
  readonly bytes: number;
  readonly verified: 'counts' | 'checksums';
  /** What the copy could not carry, said once here and in a warning event. */
  readonly warnings: readonly string[];
  readonly seconds: Readonly<Record<CopyPhase | 'total', number>>;
  readonly tableResults: readonly TableResult[];
}

/**
 * Marks a copy's phases as they start and finish (events, and seconds per phase); a stopped
 * copy ends at the next phase.
 */
export function phaseClock(emit: (event: CopyEvent) => void, signal: AbortSignal | undefined) {
  const seconds: Partial<Record<CopyPhase, number>> = {};
  const started = performance.now();
  let phaseStart = started;
  return {
    seconds,
    phase(name: CopyPhase): void {
      signal?.throwIfAborted();
      emit({ type: 'phase', phase: name, status: 'started' });
      phaseStart = performance.now();
    },
    done(name: CopyPhase): void {
      seconds[name] = Math.round(performance.now() - phaseStart) / 1000;
      emit({ type: 'phase', phase: name, status: 'finished', seconds: seconds[name] });
    },
    /** Every phase's seconds (0 for one not run) and the total so far. */
    all(): Record<CopyPhase | 'total', number> {
      const each = Object.fromEntries(COPY_PHASES.map((p) => [p, seconds[p] ?? 0])) as Record<CopyPhase, number>;
      return { ...each, total: Math.round(performance.now() - started) / 1000 };
    },
  };
}
