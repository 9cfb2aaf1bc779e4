import { TEMPLATE_PLACEHOLDER } from '../../domain/profile/mask-schema.js';
import { digitsOf, lettersOf, quoteLiteral, withDigest } from './digest.js';
import { PARTS } from './person.js';

/** Keeps the first and last characters; the rest become `maskChar`. A value too short to hide anything is hidden whole. */
export function partialSql(text: string, keepFirst: number, keepLast: number, maskChar: string): string {
  const c = quoteLiteral(maskChar);
  return `CASE WHEN length(${text}) <= ${keepFirst + keepLast} THEN repeat(${c}, length(${text}))
    ELSE left(${text}, ${keepFirst}) || repeat(${c}, length(${text}) - ${keepFirst + keepLast}) || right(${text}, ${keepLast}) END`;
}

export function regexSql(text: string, pattern: string, replacement: string, flags: string): string {
  return `regexp_replace(${text}, ${quoteLiteral(pattern)}, ${quoteLiteral(replacement)}, ${quoteLiteral(flags)})`;
}

/** e-mail: 20 hex digits of the digest at example.invalid (a reserved domain: nothing can be sent). */
export const emailSql = (digest: string): string => `substr(${digest}, 1, 20) || '@example.invalid'`;

/** A version-4-shaped UUID made of the digest (its 13th digit 4, its 17th 8, 9, a or b). */
export function uuidSql(digest: string): string {
  return withDigest(
    digest,
    (h) => `(substr(${h}, 1, 12) || '4' || substr(${h}, 14, 3) || translate(substr(${h}, 17, 1), '0123456789abcdef', '89ab89ab89ab89ab') || substr(${h}, 18))::uuid`,
  );
}

/** Whether a template makes distinct values from distinct inputs: it holds at least 16 digest digits. */
export const templateIsInjective = (template: string): boolean => /\{hash\}|\{hash:(1[6-9]|2\d|3[0-2])\}/.test(template);

/** The template's text with each placeholder replaced by its part of the digest. */
export function templateSql(template: string, digest: string): string {
  return withDigest(digest, (h) => {
    const parts: string[] = [];
    let at = 0;
    for (const match of template.matchAll(TEMPLATE_PLACEHOLDER)) {
      if (match.index > at) parts.push(quoteLiteral(template.slice(at, match.index)));
      const [name, n] = match[1]!.split(':') as [string, string | undefined];
      const count = Number(n ?? 32);
      if (name === 'hash') parts.push(`substr(${h}, 1, ${count})`);
      else if (name === 'digits') parts.push(`substr(${digitsOf(h)}, 1, ${count})`);
      else if (name === 'letters') parts.push(`lower(substr(${lettersOf(`reverse(${h})`)}, 1, ${count}))`);
      else parts.push(PARTS[name as keyof typeof PARTS](h));
      at = match.index + match[0].length;
    }
    if (at < template.length) parts.push(quoteLiteral(template.slice(at)));
    return parts.length === 0 ? "''" : parts.join(' || ');
  });
}
