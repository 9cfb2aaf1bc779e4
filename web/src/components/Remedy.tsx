import type { ReactNode } from 'react';
import { Link, paths } from '../router';

/**
 * The commands the service's remedies name (they are written for the CLI too), and what the
 * web UI offers instead: each becomes a link to the page where that is one click. A command
 * not listed stays as it is written.
 */
const COMMANDS: readonly { readonly pattern: RegExp; readonly link: (match: RegExpExecArray) => ReactNode }[] = [
  { pattern: /dataalm env list(?: shows the environments)?/y, link: () => <Link to="/">Go to the list of environments</Link> },
  { pattern: /dataalm op (?:cancel|rollback|show) (\d+)/y, link: (m) => <Link to={paths.operation(Number(m[1]))}>operation #{m[1]}</Link> },
  {
    pattern: /dataalm op logs (\d+)/y,
    link: (m) => (
      <a href={`/api/operations/${m[1]}/logs`} download={`operation-${m[1]}.log`}>
        the runbook logs of operation #{m[1]}
      </a>
    ),
  },
  { pattern: /dataalm op list --env ([a-z0-9-]+)/y, link: (m) => <Link to={paths.environment(m[1]!)}>the operations of {m[1]}</Link> },
  {
    // Named after the package, so that it is told apart from the page's own "Apply updates to …" link.
    pattern: /dataalm env apply ([a-z0-9-]+) --package (\d+|ID)(?: \(([^)]*)\))?/y,
    link: (m) => <Link to={paths.apply(m[1]!)}>{m[2] === 'ID' ? `apply it to ${m[1]}` : `apply package ${m[2]}${m[3] ? ` (${m[3]})` : ''} to ${m[1]}`}</Link>,
  },
  { pattern: /dataalm env restore ([a-z0-9-]+) --operation (\d+)/y, link: (m) => <Link to={paths.operation(Number(m[2]))}>Restore on refresh #{m[2]}</Link> },
  { pattern: /dataalm env breadcrumbs ([a-z0-9-]+)/y, link: (m) => <Link to={paths.environment(m[1]!)}>{m[1]}</Link> },
  { pattern: /dataalm env stop-recurring-jobs ([a-z0-9-]+)/y, link: (m) => <Link to={paths.environment(m[1]!)}>Stop recurring jobs on {m[1]}</Link> },
  { pattern: /dataalm asset import --shared ([\w.-]+)(?: \([^)]*\))?/y, link: (m) => <Link to={paths.assets}>import the shared asset {m[1]}</Link> },
  { pattern: /dataalm asset (?:list|import)[^;,.]*/y, link: () => <Link to={paths.assets}>the asset library</Link> },
  { pattern: /dataalm env mirror (?:enable|status|resync|disable) ([a-z0-9-]+)[^;,.)]*/y, link: (m) => <Link to={paths.environment(m[1]!)}>the Mirror card of {m[1]}</Link> },
  { pattern: /dataalm env show ([a-z0-9-]+)/y, link: (m) => <Link to={paths.environment(m[1]!)}>{m[1]}</Link> },
  { pattern: /dataalm schedule (?:list|remove|pause|resume|runs)[^;,.)]*/y, link: () => <Link to="/schedules">the Schedules page</Link> },
  { pattern: /dataalm notify (?:list|add|remove|test)[^;,.)]*/y, link: () => <Link to={paths.notifications}>the Notifications page</Link> },
  { pattern: /dataalm user (?:set-role|add|remove|list)[^;,.)]*/y, link: () => <Link to="/users">Users and roles</Link> },
];

/** A remedy as the web UI shows it: the CLI commands it names are links to where the UI does that. */
export function Remedy({ text }: { readonly text: string }) {
  const parts: ReactNode[] = [];
  let plain = '';
  for (let at = 0; at < text.length; ) {
    const found = text.startsWith('dataalm ', at) ? matchAt(text, at) : undefined;
    if (!found) {
      plain += text[at];
      at += 1;
      continue;
    }
    if (plain) parts.push(plain);
    plain = '';
    parts.push(<span key={at}>{found.node}</span>);
    at += found.length;
  }
  if (plain) parts.push(plain);
  return <>{parts}</>;
}

function matchAt(text: string, at: number): { node: ReactNode; length: number } | undefined {
  for (const { pattern, link } of COMMANDS) {
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (match) return { node: link(match), length: match[0].length };
  }
  return undefined;
}

/** The package and shared asset a pending action's remedy names, for buttons that do it. */
export function remedyTargets(text: string): { readonly shared?: string; readonly apply?: { readonly environment: string; readonly package?: number } } {
  const shared = /--shared ([\w.-]+)/.exec(text)?.[1];
  const apply = /dataalm env apply ([a-z0-9-]+) --package (\d+|ID)/.exec(text);
  return {
    ...(shared ? { shared } : {}),
    ...(apply ? { apply: { environment: apply[1]!, ...(apply[2] === 'ID' ? {} : { package: Number(apply[2]) }) } } : {}),
  };
}
