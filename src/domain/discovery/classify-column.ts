import { type ValueKind, valueKind } from './value-tests.js';

/**
 * Discovery: what kind of personal data a column holds, from its name, its type and a
 * bounded sample of its values (only counts are kept: a sampled value is never shown).
 * Pure; engine/discovery reads the catalog and the samples.
 */
export type PiiKind = ValueKind | 'city' | 'username' | 'national-id' | 'birth-date';

export type ColumnKind = PiiKind | 'safe';

export type Confidence = 'high' | 'medium' | 'low';

export interface ColumnEvidence {
  /** The column's name says so (the pattern it matched, in words). */
  readonly name?: string | undefined;
  /** The type says so (inet, cidr). */
  readonly type?: string | undefined;
  /** Of `sampled` non-empty values, `matches` looked like `kind`. */
  readonly content?: { readonly kind: ValueKind; readonly matches: number; readonly sampled: number } | undefined;
  /** How many non-empty values were sampled (0: empty column, or not sampled). */
  readonly sampled: number;
}

export interface ColumnClassification {
  readonly kind: ColumnKind;
  readonly confidence: Confidence;
  readonly evidence: ColumnEvidence;
}

/** The type families a kind may live in. */
type Family = 'text' | 'number' | 'date' | 'network' | 'other';

export function typeFamily(type: string): Family {
  if (/^(inet|cidr)$/.test(type)) return 'network';
  if (/^(date|timestamp(\(\d\))?( with(out)? time zone)?)$/.test(type)) return 'date';
  if (/^(smallint|integer|bigint|numeric(\(\d+(,\d+)?\))?)$/.test(type)) return 'number';
  if (/^(?:[\w."]+\.)?(text|citext|name|character varying|character|varchar|bpchar)(\(\d+\))?$/.test(type)) return 'text';
  return 'other';
}

/** Columns worth sampling: text, and whole numbers long enough to be card numbers. */
export const sampled = (type: string): boolean => typeFamily(type) === 'text' || /^(bigint|numeric(\(\d+(,0)?\))?)$/.test(type);

interface NameRule {
  readonly kind: PiiKind;
  readonly pattern: RegExp;
  readonly families: readonly Family[];
  /** A weak hint (e.g. `name`, `description`): the kind only when the sampled values agree, or nothing was sampled. */
  readonly weak?: boolean;
  readonly words: string;
}

/**
 * Column names, matched on the name in lower case with `_`, `-` and spaces as word breaks,
 * in English and a few other languages. The first rule that matches wins.
 */
const NAME_RULES: readonly NameRule[] = [
  { kind: 'email', pattern: /(^|_)(e_?mail|mail|email_?address|courriel|correo)(_|$)/, families: ['text'], words: 'e-mail' },
  { kind: 'secret', pattern: /(^|_)(pass(word|wd)?|pwd|passwort|secret|token|api_?key|private_?key|otp|credentials?|password_?hash|pin)(_|$)/, families: ['text'], words: 'password, secret or token' },
  { kind: 'username', pattern: /(^|_)(user_?name|login(_?name)?|nick_?name|screen_?name)$/, families: ['text'], words: 'user name' },
  { kind: 'first-name', pattern: /(^|_)(first_?name|given_?name|fore_?name|fname|vorname|prenom|nombre|nome)$/, families: ['text'], words: 'first name' },
  { kind: 'last-name', pattern: /(^|_)(last_?name|sur_?name|family_?name|lname|nachname|nom|apellidos?|sobrenome)$/, families: ['text'], words: 'last name' },
  { kind: 'full-name', pattern: /(^|_)(full_?name|contact_?name|customer_?name|person_?name|display_?name|holder_?name|owner_?name)$/, families: ['text'], words: 'full name' },
  { kind: 'full-name', pattern: /^name$/, families: ['text'], weak: true, words: 'name' },
  { kind: 'phone', pattern: /(^|_)(phone|phone_?number|mobile|cell(_?phone)?|fax|tel|telephone|telefon|telefono|telefone|handy)(_|$)/, families: ['text', 'number'], words: 'phone' },
  { kind: 'card-number', pattern: /(^|_)(card_?(number|no|num)|cc_?(number|num|no)|pan|credit_?card)(_|$)/, families: ['text', 'number'], words: 'card number' },
  { kind: 'iban', pattern: /(^|_)(iban|bank_?account(_?number)?|account_?number)(_|$)/, families: ['text'], words: 'IBAN or bank account' },
  { kind: 'national-id', pattern: /(^|_)(ssn|social_?security(_?number)?|national_?id|passport(_?number)?|tax_?id|tin|driver_?licen[cs]e)(_|$)/, families: ['text', 'number'], words: 'national identifier' },
  { kind: 'birth-date', pattern: /(^|_)(birth_?date|date_?of_?birth|dob|birthday|geburtsdatum|date_?naissance|fecha_?nacimiento)(_|$)/, families: ['date', 'text'], words: 'date of birth' },
  { kind: 'ip', pattern: /(^|_)(ip|ip_?addr(ess)?|remote_?addr|client_?(ip|addr))(_|$)/, families: ['text', 'network'], words: 'IP address' },
  { kind: 'postcode', pattern: /(^|_)(post_?code|postal(_?code)?|zip(_?code)?|plz|cap|cep)$/, families: ['text', 'number'], words: 'postcode' },
  { kind: 'street', pattern: /(^|_)(street|street_?address|address(_?line)?_?\d?|addr\d?|strasse|adresse|direccion|endereco|rue)$/, families: ['text'], words: 'street address' },
  { kind: 'city', pattern: /(^|_)(city|town|ville|ciudad|cidade|stadt|ort)$/, families: ['text'], words: 'city' },
  { kind: 'free-text', pattern: /(^|_)(comments?|notes?|remarks?|description|message|body|bio|memo)$/, families: ['text'], weak: true, words: 'free text' },
];

/** A sampled kind counts when at least this share of the non-empty values show it. */
const CONTENT_SHARE = 0.6;

/**
 * One column's kind. `values`: its sampled non-empty values as text (undefined: not
 * sampled). `street`: whether its table has a street address, without which a city
 * names no one.
 */
export function classifyColumn(column: { name: string; type: string }, values: readonly string[] | undefined, tableHasStreet: boolean): ColumnClassification {
  const family = typeFamily(column.type);
  const name = column.name.toLowerCase().replace(/[\s-]+/g, '_');
  const rule = NAME_RULES.find((r) => r.families.includes(family) && r.pattern.test(name));
  const content = values === undefined ? undefined : strongestKind(values);
  const sampledCount = values?.length ?? 0;
  const evidence = (kind: ColumnKind): ColumnEvidence => ({
    name: rule && rule.kind === kind ? `its name says ${rule.words}` : undefined,
    type: kind === 'ip' && family === 'network' ? column.type : undefined,
    content,
    sampled: sampledCount,
  });
  const safe = (): ColumnClassification => ({ kind: 'safe', confidence: sampledCount > 0 ? 'medium' : 'low', evidence: { content, sampled: sampledCount } });
  if (family === 'network') return { kind: 'ip', confidence: 'high', evidence: evidence('ip') };
  let strong = content && content.matches / content.sampled >= CONTENT_SHARE ? content.kind : undefined;
  // Five digits in a number column are a number, not a postcode.
  if (strong === 'postcode' && family === 'number') strong = undefined;
  const agree = rule !== undefined && (rule.kind === strong || (rule.kind === 'first-name' && strong === 'full-name'));
  if (rule && agree) return { kind: rule.kind, confidence: 'high', evidence: evidence(rule.kind) };
  // A name that says what the column is wins over values that look like something else
  // (user names that are first names), unless a format or checksum settles it.
  if (strong && (!rule || rule.weak || CERTAIN.has(strong))) {
    return { kind: strong, confidence: sampledCount >= 5 ? 'high' : 'medium', evidence: evidence(strong) };
  }
  if (!rule) return safe();
  if (rule.kind === 'city' && !tableHasStreet) return safe();
  // A weak name needs values that agree; an empty column has none to disagree.
  if (rule.weak && sampledCount > 0) return safe();
  return { kind: rule.kind, confidence: rule.weak ? 'low' : 'medium', evidence: evidence(rule.kind) };
}

/** Kinds a value's format or checksum settles whatever the column is called. */
const CERTAIN = new Set<ValueKind>(['email', 'card-number', 'iban']);

/** The kind most sampled values show, with its count. */
function strongestKind(values: readonly string[]): ColumnEvidence['content'] {
  if (values.length === 0) return undefined;
  const counts = new Map<ValueKind, number>();
  for (const value of values) {
    const kind = valueKind(value);
    if (kind) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  // Names: a column mixing first names and full names is a column of names.
  const best = [...counts].sort((a, b) => b[1] - a[1])[0];
  if (!best) return undefined;
  return { kind: best[0], matches: best[1], sampled: values.length };
}

/** Whether a column name is a street address (or its line), for a city beside it. */
export const looksLikeStreet = (column: string): boolean => NAME_RULES.find((r) => r.kind === 'street')!.pattern.test(column.toLowerCase());

/**
 * Tables a sandbox has no use for: sessions, logs, histories, audit trails. Suggested as
 * `clear` (unless other tables reference them: a clear would break those keys).
 */
export function logTableReason(table: string): string | undefined {
  const m = /(^|_)(sessions?|logs?|log_?entries|history|histories|audits?|audit_?trail|activity|activities|tracking|page_?views|visits|login_?attempts)(_|$)/i.exec(table);
  return m ? `its name says ${m[2]!.toLowerCase().replace(/_/g, ' ')}` : undefined;
}
