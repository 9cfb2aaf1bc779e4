import type { RefusalReason } from '../operation.js';

/** An operation that holds an environment, as a refusal names it. */
export interface Busy {
  readonly id: number;
  readonly kind: string;
  readonly state: string;
}

/**
 * The refusal while another operation holds an environment (one at a time; the control
 * database enforces it too). `busy` is undefined when it ended before it could be named.
 */
export function busyReason(environment: string, busy: Busy | undefined): RefusalReason {
  return {
    code: 'TARGET_BUSY',
    message: `operation ${busy?.id ?? '?'} (${busy?.kind ?? 'another'}, ${busy?.state ?? 'active'}) is already running on ${environment}`,
    remedy: busy ? `wait for it to finish, or cancel it with: dataalm op cancel ${busy.id}` : 'wait for it to finish',
  };
}
