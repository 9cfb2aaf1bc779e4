import { REFRESH_STEPS } from './operation.js';

/** The steps of an apply that a refresh does not have (validate and post are shared). */
export const APPLY_ONLY_STEPS = ['scripts', 'files', 'versions'] as const;

/**
 * Named places where a test makes the process exit hard (DATAALM_FAULT=<point>), to show
 * that another worker finishes or undoes the operation from there: before and after each
 * runbook step, in the middle of a table's copy, between the two renames of the cutover,
 * between the application and financial reporting databases' cutovers, in the middle
 * of a rollback, right after an access policy re-enabled its users, while a refresh has a mirror's subscription paused (before and after its clone), when a refresh has detached the mirror's spare but not yet renamed it, and before and after each step of an apply.
 */
export const FAULT_POINTS = [
  ...REFRESH_STEPS.flatMap((step) => [`before:${step}`, `after:${step}`]),
  'data:mid-table',
  'cutover:between-renames',
  'cutover:between-databases',
  'rollback:middle',
  'verify:users-reenabled',
  'mirror:paused',
  'mirror:cloned',
  'mirror:spare-taken',
  ...APPLY_ONLY_STEPS.flatMap((step) => [`before:${step}`, `after:${step}`] as const),
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];
