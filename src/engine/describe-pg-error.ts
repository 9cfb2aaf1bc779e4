/**
 * A server error as one line with its DETAIL and HINT, which pg keeps apart from the
 * message (`error.detail`, `error.hint`) and which often say what to do. The first error in
 * the cause chain that has them lends them. The DETAIL of an integrity violation (SQLSTATE
 * class 23) shows row values, which may be production data: it is left out.
 */
export function describePgError(error: unknown): string {
  let text = error instanceof Error ? error.message : String(error);
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    const { detail, hint, code } = cause as Error & { detail?: unknown; hint?: unknown; code?: unknown };
    if (typeof detail !== 'string' && typeof hint !== 'string') continue;
    if (typeof detail === 'string' && detail !== '' && !String(code ?? '').startsWith('23') && !text.includes(detail)) {
      text += ` DETAIL: ${oneLine(detail)}`;
    }
    if (typeof hint === 'string' && hint !== '' && !text.includes(hint)) text += ` HINT: ${oneLine(hint)}`;
    break;
  }
  return text;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
