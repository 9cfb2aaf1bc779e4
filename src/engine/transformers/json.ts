import type { NestedMask } from '../../domain/profile/mask-schema.js';
import { quoteLiteral } from './digest.js';

/**
 * JSON-path masking: each path's value is masked as text by its own mask and written back
 * with jsonb_set, so the rest of the document arrives as it was. A path the value lacks is
 * left alone (jsonb_set does not create it), a JSON null stays null, and a masked number
 * stays a number.
 */
export function jsonSql(
  value: string,
  paths: Readonly<Record<string, NestedMask>>,
  maskText: (text: string, mask: NestedMask) => string,
): string {
  const document = `${value}::jsonb`;
  return Object.entries(paths).reduce((masked, [path, mask]) => {
    const at = `ARRAY[${path.split('.').map(quoteLiteral).join(', ')}]::text[]`;
    const original = `(${document} #> ${at})`;
    const text = `(${document} #>> ${at})`;
    const replacement =
      mask.transformer === 'null'
        ? `'null'::jsonb`
        : mask.transformer === 'numeric-noise'
          ? `CASE WHEN jsonb_typeof(${original}) = 'number' THEN to_jsonb((${maskText(text, mask)})::numeric) ELSE ${original} END`
          : `coalesce(to_jsonb((${maskText(text, mask)})::text), ${original}, 'null'::jsonb)`;
    return `jsonb_set(${masked}, ${at}, ${replacement}, false)`;
  }, document);
}
