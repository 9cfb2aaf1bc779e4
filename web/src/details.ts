import { fieldLabel, kindLabel } from './assets';
import { formatBytes, formatDuration } from './format';
import { ROLE_LABELS } from './session';

/**
 * The details of a history or audit record as a sentence: "Operation #12, by mia, offline
 * for 20 ms." Known keys have their own words; any other key is written out in words (its
 * value too: durations, sizes, lists, yes and no), never as a raw key or JSON.
 */
export function describeDetails(details: Readonly<Record<string, unknown>> | null, mentioned = ''): string {
  if (!details) return '';
  const phrases = Object.entries(details)
    // In the order PHRASES lists the keys (the database keeps a record's keys in its own order), others last.
    .sort(([a], [b]) => order(a) - order(b))
    .filter(([key, value]) => value !== null && value !== undefined && !(ECHOES.has(key) && says(mentioned, String(value))))
    .map(([key, value]) => phrase(key, value))
    .filter((text) => text !== '');
  if (phrases.length === 0) return '';
  const sentence = phrases.join(', ');
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`;
}

/** Whether `text` has `word` as a word of its own ("operation 5" has 5, "operation 15" has not). */
function says(text: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w-])${escaped}($|[^\\w-])`, 'i').test(text);
}

/** Keys whose value the record's own event or action usually says already (then it is not repeated). */
const ECHOES = new Set(['operation', 'kind', 'state', 'source', 'type', 'scaleUnit', 'package', 'reason']);

const text = (value: unknown) => String(value);
const roleLabel = (value: unknown) => ROLE_LABELS[value as keyof typeof ROLE_LABELS] ?? text(value);

/** What each known key says. */
const PHRASES: Readonly<Record<string, (value: unknown) => string>> = {
  operation: (v) => `operation #${text(v)}`,
  actor: (v) => `by ${text(v)}`,
  source: (v) => `from ${text(v)}`,
  offlineMs: (v) => `offline for ${formatDuration(Number(v))}`,
  package: (v) => `package ${text(v)}`,
  changes: (v) => (Array.isArray(v) && v.length > 0 ? `set ${v.map(changeWords).join(', ')}` : ''),
  kind: (v) => kindLabel(text(v)).toLowerCase(),
  state: text,
  type: (v) => `as a ${text(v)}`,
  role: (v) => `as ${roleLabel(v)}`,
  from: (v) => `from ${roleLabel(v)}`,
  to: (v) => `to ${roleLabel(v)}`,
  token: (v) => `token #${text(v)}`,
  name: (v) => `named “${text(v)}”`,
  version: (v) => `version ${text(v)}`,
  shared: (v) => (v === true ? 'from the shared assets' : 'from a file'),
  scale: (v) => `at scale ${text(v)}`,
  scaleUnit: (v) => `scale unit ${text(v)}`,
  during: (v) => `during a ${text(v)}`,
  syncCommand: (v) => (v === true ? 'synchronize command set' : 'synchronize command removed'),
  autoReprovision: (v) => (v === true ? 'reprovisioning automatic' : 'reprovisioning by hand'),
  maxLagBytes: (v) => `lag limit ${formatBytes(Number(v))}`,
  reason: text,
  database: (v) => `database ${text(v)}`,
  before: (v) => `before: ${words(v)}`,
  after: (v) => `now: ${words(v)}`,
};

const KEY_ORDER = Object.keys(PHRASES);
const order = (key: string) => (KEY_ORDER.includes(key) ? KEY_ORDER.indexOf(key) : KEY_ORDER.length);

function phrase(key: string, value: unknown): string {
  const known = PHRASES[key];
  if (known) return known(value);
  return `${keyWords(key)} ${words(value, key)}`;
}

/** "applicationRelease 10.0.37 → 10.0.38" → "Application release 10.0.37 → 10.0.38". */
function changeWords(change: unknown): string {
  const [field = '', ...rest] = text(change).split(' ');
  return [fieldLabel(field), ...rest].join(' ');
}

/** "offlineMs" → "offline", "maxLagBytes" → "max lag", "dryRun" → "dry run". */
function keyWords(key: string): string {
  return key
    .replace(/(Ms|Bytes|Seconds)$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
}

/** A value in words: durations and sizes by the key's unit, lists joined, objects as their parts. */
function words(value: unknown, key = ''): string {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') {
    if (key.endsWith('Ms')) return formatDuration(value);
    if (key.endsWith('Seconds')) return formatDuration(value * 1000);
    if (key.endsWith('Bytes')) return formatBytes(value);
    return value.toLocaleString();
  }
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map((item) => words(item)).join(', ');
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${keyWords(k)} ${words(v, k)}`);
    return parts.length === 0 ? 'none' : parts.join('; ');
  }
  return text(value);
}
