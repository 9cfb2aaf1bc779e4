/**
 * Removes secrets from text before it is logged or shown: the passwords of every connection
 * URL the operation uses, and any password written inside a URL.
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
    let out = text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
    for (const secret of this.#secrets) out = out.split(secret).join('***');
    return out;
  }
}
