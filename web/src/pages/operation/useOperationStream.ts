import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../../api/client';
import type { LogLine, Operation, Progress } from '../../api/types';
import { formatTime } from '../../format';

const LOG_TAIL = 200;

export interface OperationStream {
  readonly operation: Operation | undefined;
  /** The latest lines of the runbook log, oldest first. */
  readonly log: readonly string[];
  readonly progress: Progress | undefined;
  readonly error: ApiError | undefined;
  /** Adopt a newer state of the operation (e.g. the answer to cancel or rollback) and listen again. */
  readonly update: (operation: Operation) => void;
}

function logText(line: LogLine): string {
  return `${formatTime(line.at)}  ${line.step ?? '-'}  ${line.level.toUpperCase()}  ${line.message}`;
}

function parse<T>(event: Event): T {
  return JSON.parse((event as MessageEvent<string>).data) as T;
}

/**
 * The operation as the server streams it: the whole operation on every change, every log
 * line from the first (again on each connection), and the data step's progress.
 */
export function useOperationStream(id: number): OperationStream {
  const [operation, setOperation] = useState<Operation>();
  const [log, setLog] = useState<readonly string[]>([]);
  const [progress, setProgress] = useState<Progress>();
  const [error, setError] = useState<ApiError>();
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const events = new EventSource(`/api/operations/${id}/events`);
    events.onopen = () => setLog([]);
    events.addEventListener('operation', (event) => setOperation(parse<Operation>(event)));
    events.addEventListener('log', (event) => {
      const line = logText(parse<LogLine>(event));
      setLog((lines) => [...lines, line].slice(-LOG_TAIL));
    });
    events.addEventListener('progress', (event) => setProgress(parse<Progress>(event)));
    events.addEventListener('end', (event) => {
      events.close();
      setOperation(parse<Operation>(event));
      setProgress(undefined);
    });
    // The browser reconnects by itself after a network error; a refused stream (401, 404) is
    // closed for good, and the operation's own endpoint then says why.
    events.onerror = () => {
      if (events.readyState !== EventSource.CLOSED) return;
      api.get<Operation>(`/api/operations/${id}`).then(setOperation, (reason: unknown) => {
        if (reason instanceof ApiError) setError(reason);
      });
    };
    return () => events.close();
  }, [id, generation]);

  const update = useCallback((latest: Operation) => {
    setOperation(latest);
    setGeneration((g) => g + 1);
  }, []);

  return { operation, log, progress, error, update };
}
