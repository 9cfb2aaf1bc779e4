/**
 * Removing secrets from text before it is logged or shown. Runbook logs are read and
 * downloaded by every team member, and a synchronize command's output lands there verbatim,
 * so each line goes through here first.
 *
 * What is hidden:
 * - the value after `=`, `:` or `=>` when the name before it is a secret's name (password,
 *   passwd, pwd, secret, token, key, apikey, api_key, credential, auth, in any case and
 *   within longer names such as PGPASSWORD, client_secret or X-Api-Key), quoted or not,
 *   JSON-ish `"password": "x"` included: `token=[redacted]`;
 * - everything after `Authorization:` on its line, and the token after `Bearer`;
 * - the password of a URL's user information: `postgresql://u:***@h/db`;
 * - with a Redactor, the known passwords of the connection URLs in use, wherever they appear.
 *
 * False positives are kept low: only a value after a separator is hidden, and a name counts
 * only when one of its words is a secret's name, so `keyboard: 5`, `tokens: 5 copied` or
 * `Key (recid)=(5)` stay as they are. An unquoted value runs to the next white space: a
 * secret containing punctuation is hidden whole, at the cost of hiding what follows it.
 */

/** What a hidden value is replaced by. */
export const REDACTED = '[redacted]';
/** What a URL's or a known password is replaced by (the form connection strings are shown in). */
const HIDDEN_PASSWORD = '***';

/** A name, optionally quoted, then a separator: the value, if the name is a secret's, follows. */
const NAME_AND_SEPARATOR = /(?<![\w.])(["']?)([A-Za-z][\w.-]*)\1[ \t]*(?:=>|[:=])[ \t]*/g;
/** `Bearer <token>`, wherever it is (an Authorization header's value, a curl command line). */
const BEARER = /\b(bearer)[ \t]+[\w.~+/=-]+/gi;
/**
 * A URL's user information with a password. PostgreSQL URLs as before (their passwords may
 * hold a raw `/`); other schemes stop at `/`, so `http://host:8080/a@b` is not taken for one.
 */
const PG_URL_PASSWORD = /(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/gi;
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s/]*@/gi;

/** Words that make a name a secret's when they end it: `api_key`, `access_token`, `auth`. */
const SECRET_LAST_WORD = /^(?:\w*pwd|\w*token|(?:api|access|private|secret|signing|encryption|master|session|ssh)?key|auth|authorization)$/;
/** Words that make a name a secret's wherever they are: `password_hash`, `secret_key_base`. */
const SECRET_ANY_WORD = /passw(?:or)?d|passphrase|secret|credential/;

/** Whether a name (of a setting, a header, a JSON field) names a secret. */
export function isSecretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
  if (words.some((w) => SECRET_ANY_WORD.test(w))) return true;
  return SECRET_LAST_WORD.test(words.at(-1) ?? '');
}

/**
 * Where the value starting at `start` ends: at its closing quote when quoted (the quotes
 * stay), else at white space; an Authorization header's value runs to the end of the line.
 */
function valueSpan(text: string, start: number, wholeLine: boolean): { from: number; to: number } | null {
  const quote = text[start];
  if (quote === '"' || quote === "'") {
    let i = start + 1;
    while (i < text.length && text[i] !== quote && text[i] !== '\n') i += text[i] === '\\' && quote === '"' ? 2 : 1;
    return i > start + 1 ? { from: start + 1, to: Math.min(i, text.length) } : null;
  }
  const end = wholeLine ? /[\r\n]/g : /\s/g;
  end.lastIndex = start;
  const to = end.exec(text)?.index ?? text.length;
  return to > start ? { from: start, to } : null;
}

/** The secret values in `text` replaced, their names and the rest kept (see the module's comment). */
export function redactSecrets(text: string): string {
  let out = text.replace(PG_URL_PASSWORD, `$1${HIDDEN_PASSWORD}@`).replace(URL_PASSWORD, `$1${HIDDEN_PASSWORD}@`);
  out = out.replace(BEARER, `$1 ${REDACTED}`);
  const parts: string[] = [];
  let kept = 0;
  const pattern = new RegExp(NAME_AND_SEPARATOR.source, 'g');
  for (let match = pattern.exec(out); match !== null; match = pattern.exec(out)) {
    const name = match[2]!;
    if (!isSecretName(name)) {
      // Only the name and separator are consumed: `stdout: token=x` still finds `token`.
      continue;
    }
    const span = valueSpan(out, pattern.lastIndex, /^(?:proxy-)?authorization$/i.test(name));
    if (span === null) continue;
    parts.push(out.slice(kept, span.from), REDACTED);
    kept = span.to;
    pattern.lastIndex = span.to;
  }
  parts.push(out.slice(kept));
  return parts.join('');
}

/**
 * Removes secrets from text before it is logged or shown: the passwords of every connection
 * URL an operation uses, wherever they appear, and whatever redactSecrets finds.
 */
export class Redactor {
  readonly #secrets: string[];

  constructor(urls: readonly (string | undefined)[]) {
    const secrets = new Set<string>();
    for (const url of urls) {
      if (url === undefined) continue;
      try {
        const password = new URL(url).password;
        if (password) {
          secrets.add(password);
          secrets.add(decodeURIComponent(password));
        }
      } catch {
        // not a URL: nothing to hide
      }
    }
    // Longest first, so a secret containing another is replaced whole.
    this.#secrets = [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    // The known passwords first: one with white space in it would be hidden only in part otherwise.
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join(HIDDEN_PASSWORD);
    return redactSecrets(out);
  }
}
