import { type PgTools, runToolOutput } from '../adapters/postgres/pg-tools.js';

/**
 * Terminology
 * - Schema script: the SQL pg_restore writes for one section of the schema archive
 *   (`pg_restore --verbose --section=… -f -`), read without a database connection.
 * - Entry: one object of the archive's table of contents, as pg_restore prints it: a header
 *   (dump id, catalog OIDs, dependencies, name, type, schema, owner) and its statements.
 * - Preamble: the SET statements at the top that every session running entries needs.
 * - Prelude: the default_tablespace / default_table_access_method an entry is created
 *   under (pg_restore sets them just before the entry's header, and they carry over).
 */
export interface ScriptEntry {
  readonly dumpId: number;
  /** pg_class OID of the catalog the object lives in (0 for comments, ACLs …). */
  readonly classOid: string;
  /** The object's OID in the source. */
  readonly objectOid: string;
  readonly deps: readonly number[];
  readonly name: string;
  /** TABLE, INDEX, FK CONSTRAINT, ACL, DEFAULT ACL, COMMENT, POLICY … */
  readonly type: string;
  /** '-' when the object lives in no schema. */
  readonly schema: string;
  /** '' or '-' when the entry has none. */
  readonly owner: string;
  readonly sql: string;
  /** SET statements this entry runs under, on whatever session runs it. */
  readonly prelude: readonly string[];
}

export interface SchemaScript {
  readonly section: 'pre-data' | 'post-data';
  readonly preamble: readonly string[];
  readonly entries: readonly ScriptEntry[];
}

/** Writes one section of the archive as SQL (no connection) and parses it into entries. */
export async function scriptSection(tools: PgTools, archiveFile: string, section: SchemaScript['section']): Promise<SchemaScript> {
  const text = await runToolOutput(tools.pgRestore, ['--verbose', `--section=${section}`, '--file=-', archiveFile], `pg_restore --section=${section}`);
  return parseScript(text, section);
}

const HEADER = /^-- TOC entry (\d+) \(class (\d+) OID (\d+)\)$/;
// An object in a tablespace other than the default ends with "; Tablespace: x".
const NAME_LINE = /^-- Name: (.*); Type: ([A-Z][A-Z ]*); Schema: (.*); Owner: (.*?)(?:; Tablespace: .*)?$/;
const CONTEXT_SET = /^SET (default_tablespace|default_table_access_method) = .*;$/;
const RESTRICT = /^\\(un)?restrict [A-Za-z0-9]+$/;

/**
 * Splits a script into its preamble and entries. An entry's header is the block
 * "--", "-- TOC entry …", ["-- Dependencies: …"], "-- Name: …", ["-- Data Pos: …"], "--".
 * A header-like block inside a function body would cut that body in two; parseScript's
 * caller checks every dump id against the archive's listing, so such a fake fails loudly.
 */
export function parseScript(text: string, section: SchemaScript['section']): SchemaScript {
  const lines = text.split('\n');
  const preamble: string[] = [];
  const entries: ScriptEntry[] = [];
  const context = new Map<string, string>();
  let current: { head: Omit<ScriptEntry, 'sql' | 'prelude'>; prelude: string[]; body: string[] } | undefined;
  const close = () => {
    if (!current) return;
    const body = current.body;
    // What follows the last statement: blank lines, comments and the SETs of the next entry.
    while (body.length > 0 && (/^\s*$/.test(body.at(-1)!) || /^--/.test(body.at(-1)!))) body.pop();
    entries.push({ ...current.head, sql: body.join('\n'), prelude: current.prelude });
    current = undefined;
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const header = lines[i + 1] === undefined ? null : HEADER.exec(lines[i + 1]!);
    if (line === '--' && header) {
      // The context SETs written just before this header belong to it.
      const pending = current ? current.body : preamble;
      const trailing: string[] = [];
      while (pending.length > 0 && (/^\s*$/.test(pending.at(-1)!) || CONTEXT_SET.test(pending.at(-1)!))) {
        const last = pending.pop()!;
        if (CONTEXT_SET.test(last)) trailing.unshift(last);
      }
      for (const set of trailing) context.set(CONTEXT_SET.exec(set)![1]!, set);
      close();
      let j = i + 2;
      let deps: number[] = [];
      if (lines[j]?.startsWith('-- Dependencies: ')) {
        deps = lines[j]!.slice('-- Dependencies: '.length).trim().split(/\s+/).filter(Boolean).map(Number);
        j++;
      }
      const name = NAME_LINE.exec(lines[j] ?? '');
      if (!name) throw new Error(`schema script (${section}): entry ${header[1]} has no "-- Name:" line (${lines[j] ?? 'end of script'})`);
      j++;
      if (lines[j]?.startsWith('-- Data Pos:')) j++;
      if (lines[j] !== '--') throw new Error(`schema script (${section}): entry ${header[1]}: unexpected header line ${JSON.stringify(lines[j])}`);
      current = {
        head: {
          dumpId: Number(header[1]),
          classOid: header[2]!,
          objectOid: header[3]!,
          deps,
          name: name[1]!,
          type: name[2]!,
          schema: name[3]!,
          owner: name[4]!,
        },
        prelude: [...context.values()],
        body: [],
      };
      i = j + 1;
      continue;
    }
    if (RESTRICT.test(line)) {
      i++;
      continue;
    }
    if (!current && line.startsWith('\\')) {
      // psql meta-commands (\connect …) cannot run over a plain connection.
      throw new Error(`schema script (${section}): unexpected meta-command ${JSON.stringify(line.slice(0, 40))}`);
    }
    (current ? current.body : preamble).push(line);
    i++;
  }
  close();
  return { section, preamble: statementsOf(preamble), entries };
}

/** The preamble's statements (each on its own line), without comments and blank lines. */
function statementsOf(lines: readonly string[]): string[] {
  return lines.filter((l) => !/^\s*$/.test(l) && !l.startsWith('--'));
}

/**
 * Checks the entries against the archive's table of contents (pg_restore --list): each dump
 * id once, with the listed type. A header forged inside a function body cannot pass.
 */
export function checkAgainstListing(scripts: readonly SchemaScript[], listing: readonly string[]): void {
  const listed = new Map<number, string>();
  for (const line of listing) {
    const match = /^(\d+); \d+ \d+ (.*)$/.exec(line);
    if (match) listed.set(Number(match[1]), match[2]!);
  }
  const seen = new Set<number>();
  for (const script of scripts) {
    for (const entry of script.entries) {
      const rest = listed.get(entry.dumpId);
      if (seen.has(entry.dumpId) || rest === undefined || !rest.startsWith(`${entry.type} `)) {
        throw new Error(`schema script (${script.section}): entry ${entry.dumpId} (${entry.type} ${entry.name}) does not match the archive's table of contents`);
      }
      seen.add(entry.dumpId);
    }
  }
}
