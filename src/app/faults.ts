import type { FaultPoint } from '../domain/faults.js';

/**
 * Exits the process at once, the way a crash or a lost machine would, when DATAALM_FAULT
 * names this point (tests only). Nothing is cleaned up: that is the point.
 */
export function fault(point: FaultPoint): void {
  if (process.env.DATAALM_FAULT !== point) return;
  process.stderr.write(`dataalm: fault injected at ${point} (DATAALM_FAULT): the process exits now\n`);
  process.kill(process.pid, 'SIGKILL');
}
