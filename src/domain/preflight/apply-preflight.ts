import { type Asset, judgeApply } from '../asset.js';
import type { Environment } from '../environment.js';
import type { RefusalReason } from '../operation.js';
import { type Busy, busyReason } from './busy-reason.js';

/** What the apply preflight needs to know; app/assets gathers it from the control database. */
export interface ApplyFacts {
  readonly environment: Environment;
  readonly asset: Pick<Asset, 'id' | 'name' | 'kind' | 'appliesTo' | 'sets' | 'scripts' | 'files'>;
  /** The apply operation asking, when its runbook runs the preflight again. */
  readonly self?: number | undefined;
  /** The operation that holds the environment, if any. */
  readonly busy: Busy | undefined;
  /** A running refresh that copies from the environment, if any. */
  readonly copiedBy: Busy | undefined;
}

/**
 * Everything that stops a package from being applied now: the rules of judgeApply, plus
 * what the environment is busy with and what the package needs of it (a database for each
 * script, document storage for files). Pure.
 */
export function applyRefusals(facts: ApplyFacts): RefusalReason[] {
  const { environment, asset, copiedBy } = facts;
  const reasons = judgeApply(environment, asset);
  if (environment.state === 'failed' || environment.state === 'offline') {
    reasons.push({
      code: 'ENVIRONMENT_NOT_READY',
      message: `${environment.name} is ${environment.state}${environment.state === 'failed' ? ': an operation failed after it had replaced its databases' : ''}`,
      remedy: `roll back or restore first (dataalm op list --env ${environment.name}), then apply`,
    });
  }
  if (facts.busy && facts.busy.id !== facts.self) reasons.push(busyReason(environment.name, facts.busy));
  if (copiedBy) {
    reasons.push({
      code: 'TARGET_IS_SOURCE',
      message: `operation ${copiedBy.id} is copying from ${environment.name} right now; changing its versions would make that copy inconsistent`,
      remedy: `wait for operation ${copiedBy.id} to finish, then apply`,
    });
  }
  for (const [role, names] of Object.entries(asset.scripts)) {
    if (names.length > 0 && !environment.databases.some((d) => d.role === role)) {
      reasons.push({
        code: 'DATABASE_MISSING',
        message: `package ${asset.id} has scripts for the ${role} database; ${environment.name} has none registered`,
        remedy: `register ${environment.name} with its ${role} database`,
      });
    }
  }
  if (asset.files.length > 0 && environment.documentStorage === null) {
    reasons.push({
      code: 'NO_DOCUMENT_STORAGE',
      message: `package ${asset.id} puts ${asset.files.length} file(s) in document storage; ${environment.name} has none`,
      remedy: `register ${environment.name} with --storage DIR`,
    });
  }
  return reasons;
}

/** Why an environment's retail scale unit cannot be redeployed now (empty: it can). Pure. */
export function redeployRefusals(facts: { readonly environment: Environment; readonly busy: Busy | undefined }): RefusalReason[] {
  const { environment: { name, retail }, busy } = facts;
  const reasons: RefusalReason[] = [];
  if (!retail) {
    reasons.push({ code: 'NOT_RETAIL', message: `${name} does not use retail: it has no scale unit`, remedy: `register ${name} with --retail if it uses retail` });
  }
  if (busy) reasons.push(busyReason(name, busy));
  return reasons;
}
