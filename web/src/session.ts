import { createContext, useContext } from 'react';
import type { Role, User } from './api/types';

export interface SessionValue {
  readonly user: User;
}

export const SessionContext = createContext<SessionValue | null>(null);

/** The signed-in user; only used below the signed-in layout. */
export function useSession(): SessionValue {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

export const ROLE_LABELS: Readonly<Record<Role, string>> = {
  owner: 'Project owner',
  manager: 'Environment manager',
  member: 'Team member',
};

/** Owners and environment managers change environments; team members only read. */
export const canMaintain = (role: Role) => role === 'owner' || role === 'manager';
/** Applying a package runs SQL: on production only the project owner may. */
export const canApply = (role: Role, type: 'production' | 'sandbox') => role === 'owner' || (role === 'manager' && type === 'sandbox');
export const canManageUsers = (role: Role) => role === 'owner';
export const canReadAudit = (role: Role) => role === 'owner' || role === 'manager';
