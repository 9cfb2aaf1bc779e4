/**
 * Who asked for an action and from where, as the audit log records it: a user of the HTTP
 * API (origin: the client's address), or the operating-system user of a local CLI run
 * (origin: the host), who holds the control database's URL and so acts as the installation.
 */
export interface Actor {
  readonly name: string;
  readonly origin: string;
}

/** dataalm itself, e.g. creating the demo project on first start. */
export const SYSTEM_ACTOR: Actor = { name: 'dataalm', origin: 'local' };
