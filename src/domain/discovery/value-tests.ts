/**
 * Tests on one sampled value: which kind of personal data it looks like, if any. Checksums
 * decide card numbers (Luhn) and IBANs (ISO 13616 mod 97), so a random 16-digit number or a
 * reference that only looks like an IBAN is not taken for one. Pure; values are never kept.
 */
export type ValueKind =
  | 'email'
  | 'card-number'
  | 'iban'
  | 'ip'
  | 'secret'
  | 'phone'
  | 'postcode'
  | 'street'
  | 'full-name'
  | 'first-name'
  | 'last-name'
  | 'free-text';

/** Common given names in several languages (lower case): enough to recognise a column of them. */
const FIRST_NAMES = new Set(
  (
    'mary patricia linda barbara elizabeth jennifer maria susan margaret dorothy lisa nancy karen betty helen sandra donna carol ruth sharon ' +
    'michelle laura sarah kimberly deborah jessica shirley cynthia angela melissa brenda amy anna emma olivia sophia isabella mia charlotte ' +
    'amelia emily grace chloe julia lucy alice claire marie sophie camille lea manon ines laura giulia francesca chiara sofia martina ' +
    'hannah lena leonie lea mila ana lucia carmen elena paula yuki haruka sakura yui aiko mei fatima aisha amina zainab ' +
    'james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony mark donald steven paul ' +
    'andrew joshua kenneth kevin brian george edward ronald timothy jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry ' +
    'justin scott brandon benjamin samuel frank gregory raymond alexander patrick jack dennis jerry tyler aaron jose adam henry nathan ' +
    'peter mike jon nick ed johnny bette penelope pierre jean louis luc hugo lucas leo gabriel arthur jules luca marco giuseppe giovanni ' +
    'francesco alessandro lorenzo matteo hans peter klaus jurgen stefan thomas lukas felix jonas max paul carlos juan luis miguel pedro ' +
    'javier pablo diego joao pedro tiago rafael hiroshi kenji takashi yuto haruto sota wei ming li hao chen ahmed mohammed ali omar hassan ' +
    'ivan dmitri sergei olga natalia anastasia tatiana piotr jan tomasz katarzyna agnieszka lars erik anders sven ingrid astrid'
  ).split(/\s+/),
);

/** Common family names in several languages (lower case). */
const LAST_NAMES = new Set(
  (
    'smith johnson williams jones brown davis miller wilson moore taylor anderson thomas jackson white harris martin thompson garcia ' +
    'martinez robinson clark rodriguez lewis lee walker hall allen young hernandez king wright lopez hill scott green adams baker gonzalez ' +
    'nelson carter mitchell perez roberts turner phillips campbell parker evans edwards collins stewart sanchez morris rogers reed cook ' +
    'hillyer stephens guiness wahlberg chase lollobrigida nicholson muller mueller schmidt schneider fischer weber meyer wagner becker ' +
    'schulz hoffmann dubois durand leroy moreau simon laurent lefebvre michel bernard petit rossi russo ferrari esposito bianchi romano ' +
    'colombo ricci silva santos oliveira souza pereira costa ferreira rodrigues almeida fernandez gomez diaz sato suzuki takahashi tanaka ' +
    'watanabe ito yamamoto nakamura kobayashi wang li zhang liu chen yang huang zhao wu zhou kim park choi nguyen tran pham ivanov ' +
    'smirnov kuznetsov popov nowak kowalski wisniewski jensen nielsen hansen andersen johansson karlsson nilsson'
  ).split(/\s+/),
);

/** Words that make "12 Oak …" a street address, in several languages. */
const STREET_WORD =
  /\b(street|st|avenue|ave|road|rd|lane|ln|drive|dr|way|boulevard|blvd|place|pl|court|ct|square|sq|terrace|close|crescent|highway|hwy|rue|chemin|allee|allée|impasse|strasse|straße|str|weg|gasse|platz|via|viale|piazza|calle|avenida|rua|travessa|dori|dōri|straat|laan|gatan|vej)\b/i;

/** Street words that end a compound (Hauptstraße, Kirchweg, Marktplatz, Dorpsstraat). */
const COMPOUND_STREET = /\p{L}(straße|strasse|str\.|gasse|weg|platz|allee|straat|laan|gatan|vej|vägen)\s/iu;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** ISO 13616: country code, two check digits, then the account; valid when the number mod 97 is 1. */
export function ibanValid(value: string): boolean {
  const iban = value.replace(/[\s-]/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of moved) {
    const n = ch >= 'A' ? ch.charCodeAt(0) - 55 : Number(ch);
    remainder = Number(`${remainder}${n}`) % 97;
  }
  return remainder === 1;
}

function ipAddress(value: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/\d{1,2})?$/.exec(value);
  if (v4) return v4.slice(1, 5).every((part) => Number(part) <= 255);
  const [address = '', prefix, ...rest] = value.split('/');
  if (rest.length > 0 || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) return false;
  const colons = address.split(':').length - 1;
  // At least three colons or a "::", so a time of day (12:30:45) is not taken for one.
  return /^[0-9a-f:]{2,39}$/i.test(address) && /[0-9a-f]/i.test(address) && (colons >= 3 || address.includes('::')) && address.split('::').length <= 2;
}

/** Password hashes by their prefix, and long random-looking tokens. */
function secret(value: string): boolean {
  if (/^(\$2[abxy]?\$\d\d\$|\$argon2(id|i|d)\$|\$scrypt\$|scrypt:|\$[156]\$|\$pbkdf2|pbkdf2[_:$]|sha(1|256|512)[:$]|md5[:$])/i.test(value)) return true;
  if (value.length < 24 || /\s/.test(value)) return false;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return false;
  if (!/\d/.test(value) || !/[a-z]/i.test(value)) return false;
  return entropy(value) >= 3.5;
}

/** Shannon entropy in bits per character. */
function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / value.length) * Math.log2(n / value.length);
  return bits;
}

function phone(value: string): boolean {
  if (!/^\+?[\d\s().\/-]{7,24}$/.test(value) || /^\d{4}-\d{2}-\d{2}/.test(value)) return false;
  const digits = value.replace(/\D/g, '').length;
  const separators = value.replace(/[\d+]/g, '').length;
  return digits >= 7 && digits <= 15 && (value.startsWith('+') || separators >= 2);
}

function postcode(value: string): boolean {
  return (
    /^\d{5}(-\d{4})?$/.test(value) || // US, DE, FR, IT, ES
    /^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$/i.test(value) || // UK
    /^[A-Z]\d[A-Z] ?\d[A-Z]\d$/i.test(value) || // CA
    /^\d{4} ?[A-Z]{2}$/i.test(value) || // NL
    /^\d{3}-\d{4}$/.test(value) // JP
  );
}

const word = (w: string) => w.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '');

/** The kind one value looks like, tested from the most specific to the least. */
export function valueKind(raw: string): ValueKind | undefined {
  const value = raw.trim();
  if (value.length === 0) return undefined;
  if (/^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i.test(value)) return 'email';
  const compact = value.replace(/[\s-]/g, '');
  if (/^\d{13,19}$/.test(compact) && /^[\d\s-]+$/.test(value) && !/^(\d)\1+$/.test(compact) && luhnValid(compact)) return 'card-number';
  if (ibanValid(value)) return 'iban';
  if (ipAddress(value)) return 'ip';
  if (secret(value)) return 'secret';
  if (phone(value)) return 'phone';
  if (postcode(value)) return 'postcode';
  if (/^\d+[a-z]?,?\s+\S/i.test(value) && STREET_WORD.test(value)) return 'street';
  if (/^\p{L}[\p{L}'. -]*\s+\d+[a-z]?$/iu.test(value) && (STREET_WORD.test(value) || COMPOUND_STREET.test(value))) return 'street';
  const words = value.split(/\s+/);
  if (words.length >= 2 && words.length <= 4 && FIRST_NAMES.has(word(words[0]!)) && /^\p{Lu}/u.test(words.at(-1)!)) return 'full-name';
  if (words.length === 1 && FIRST_NAMES.has(word(value))) return 'first-name';
  if (words.length === 1 && LAST_NAMES.has(word(value))) return 'last-name';
  if (value.length >= 30 && words.length >= 6) return 'free-text';
  return undefined;
}
