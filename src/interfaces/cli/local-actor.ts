import os from 'node:os';
import type { Actor } from '../../domain/actor.js';

/**
 * A local CLI run acts as the operating-system user who runs it: they hold the control
 * database's URL (or its embedded home), so they act for the installation.
 */
export function localActor(): Actor {
  let user = process.env.USER ?? 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (some containers): keep $USER
  }
  return { name: user, origin: `cli on ${os.hostname()}` };
}
