/** What the supervisor needs of a server: whether it runs, and how to bring it back. */
export interface SupervisedServer {
  /** A cheap check (the postmaster's pid is alive). */
  isRunning(): boolean;
  /** Starts the server again unless another process did, and reconnects this process to it. */
  restart(): Promise<void>;
}

export interface Supervisor {
  /** Checks at once instead of at the next tick (e.g. when a connection to the server ended). */
  check(): void;
  /** Ends supervision; a restart in progress ends after its current attempt. */
  stop(): void;
}

/** How often the server is looked at. */
const CHECK_MS = 1000;
/**
 * Restarts in a row before giving up. A postmaster killed outright leaves its backends for a
 * moment, and a new one refuses to start while they hold the shared memory: the first tries
 * may fail. With the backoff below, the attempts span about two minutes.
 */
const ATTEMPTS = 10;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15_000];

/**
 * Keeps the embedded server of a long-running process (the service, a worker) up: when it
 * stops without this process asking (killed, crashed), it is started again on the same
 * data folder and port, with backoff and a bounded number of attempts, each logged.
 */
export function superviseServer(server: SupervisedServer, onLine: (line: string) => void): Supervisor {
  let stopped = false;
  let recovering: Promise<void> | undefined;

  const recover = async () => {
    onLine('the embedded PostgreSQL stopped unexpectedly; restarting it');
    for (let attempt = 1; attempt <= ATTEMPTS && !stopped; attempt++) {
      try {
        await server.restart();
        if (!stopped) onLine(`the embedded PostgreSQL is running again (restart attempt ${attempt})`);
        return;
      } catch (error) {
        const wait = BACKOFF_MS[Math.min(attempt - 1, BACKOFF_MS.length - 1)]!;
        onLine(`restart attempt ${attempt} of ${ATTEMPTS} failed: ${(error as Error).message}${attempt < ATTEMPTS ? `; next in ${wait / 1000} s` : ''}`);
        if (attempt < ATTEMPTS) await delay(wait);
      }
    }
    if (!stopped) {
      stopped = true;
      clearInterval(timer);
      onLine('gave up restarting the embedded PostgreSQL: see postgresql.log in DATAALM_HOME, then stop dataalm and start it again');
    }
  };
  const check = () => {
    if (stopped || recovering || server.isRunning()) return;
    recovering = recover().finally(() => (recovering = undefined));
  };
  const timer = setInterval(check, CHECK_MS);
  timer.unref();
  return {
    check: () => setImmediate(check),
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
