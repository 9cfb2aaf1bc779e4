/**
 * A small SQL tokenizer for the few statement shapes pg_dump writes with role names in
 * them (GRANT, REVOKE, ALTER … OWNER TO, ALTER DEFAULT PRIVILEGES, CREATE POLICY). It reads
 * from the statement's start, so a name inside a quoted identifier or a string is never
 * taken for a keyword, and every token keeps its place in the text for an exact rewrite.
 */
export interface SqlToken {
  /** word: unquoted identifier or keyword; ident: "quoted identifier"; punct: one character. */
  readonly kind: 'word' | 'ident' | 'string' | 'number' | 'punct';
  /** A word as written, a quoted identifier unquoted. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
  /** Parentheses open around this token. */
  readonly depth: number;
}

/** Tokens of `text` up to the first top-level `;` (included) or the end. */
export function tokenize(text: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl + 1;
    } else if (c === '"') {
      let j = i + 1;
      let value = '';
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) throw new Error(`unterminated quoted identifier in: ${text.slice(0, 200)}`);
        value += text.slice(j, q);
        if (text[q + 1] === '"') {
          value += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      tokens.push({ kind: 'ident', value, start: i, end: j, depth });
      i = j;
    } else if (c === "'" || ((c === 'E' || c === 'e') && text[i + 1] === "'")) {
      let j = text.indexOf("'", i) + 1;
      const escapes = c !== "'";
      for (;;) {
        if (j >= text.length) throw new Error(`unterminated string in: ${text.slice(0, 200)}`);
        if (escapes && text[j] === '\\') j += 2;
        else if (text[j] === "'" && text[j + 1] === "'") j += 2;
        else if (text[j] === "'") break;
        else j++;
      }
      tokens.push({ kind: 'string', value: text.slice(i, j + 1), start: i, end: j + 1, depth });
      i = j + 1;
    } else if (c === '$' && /^\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$/.test(text.slice(i, i + 64))) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$/.exec(text.slice(i, i + 64))![0];
      const close = text.indexOf(tag, i + tag.length);
      if (close === -1) throw new Error(`unterminated dollar-quoted string in: ${text.slice(0, 200)}`);
      tokens.push({ kind: 'string', value: text.slice(i, close + tag.length), start: i, end: close + tag.length, depth });
      i = close + tag.length;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const m = /^[A-Za-z_\u0080-\uffff][A-Za-z_0-9$\u0080-\uffff]*/.exec(text.slice(i))!;
      tokens.push({ kind: 'word', value: m[0], start: i, end: i + m[0].length, depth });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9][0-9.eE+-]*/.exec(text.slice(i))!;
      tokens.push({ kind: 'number', value: m[0], start: i, end: i + m[0].length, depth });
      i += m[0].length;
    } else {
      if (c === ')') depth--;
      tokens.push({ kind: 'punct', value: c, start: i, end: i + 1, depth });
      if (c === '(') depth++;
      i++;
      if (c === ';' && depth === 0) break;
    }
  }
  return tokens;
}

/** Whether the token is the unquoted keyword `word` (case-insensitive). */
export function isKeyword(token: SqlToken | undefined, word: string): boolean {
  return token?.kind === 'word' && token.value.toUpperCase() === word;
}

/**
 * The role a name token stands for, or undefined for PUBLIC and the CURRENT_USER-style
 * keywords. Unquoted names fold to lower case, as the server does.
 */
export function roleOf(token: SqlToken): string | undefined {
  if (token.kind === 'ident') return token.value;
  if (token.kind !== 'word') return undefined;
  if (/^(PUBLIC|CURRENT_USER|CURRENT_ROLE|SESSION_USER)$/i.test(token.value)) return undefined;
  return token.value.toLowerCase();
}
