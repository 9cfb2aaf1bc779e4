import { useState } from 'react';
import type { Asset, AssetDetails, AssetScript } from '../../api/types';
import { DATABASE_ROLE_LABELS, databaseRoleLabel } from '../../assets';
import { ErrorNotice, Loading } from '../../components/Notice';
import { useResource } from '../../useResource';

interface PackageScriptsProps {
  readonly asset: Pick<Asset, 'id' | 'name' | 'version'>;
  /** The environment it is to be applied to. */
  readonly target: string;
  /** Open from the start (the question before applying to production). */
  readonly initiallyOpen?: boolean;
}

/** The SQL a package runs, to read before applying it: fetched the first time it is opened. */
export function PackageScripts({ asset, target, initiallyOpen = false }: PackageScriptsProps) {
  const [open, setOpen] = useState(initiallyOpen);
  const [wanted, setWanted] = useState(initiallyOpen);
  const details = useResource<AssetDetails>(wanted ? `/api/assets/${asset.id}` : null);

  return (
    <details
      className="disclosure package-scripts"
      open={open}
      onToggle={(event) => {
        const opened = event.currentTarget.open;
        setOpen(opened);
        if (opened) setWanted(true);
      }}
    >
      <summary>Show scripts</summary>
      {details.loading && <Loading what={`the scripts of package ${asset.id}`} />}
      {details.error && <ErrorNotice error={details.error} title="The scripts could not be shown." />}
      {details.data && <ScriptList details={details.data} target={target} />}
    </details>
  );
}

function ScriptList({ details, target }: { readonly details: AssetDetails; readonly target: string }) {
  const scripts = scriptsInOrder(details);
  const files = details.files.length;
  const filesText = files > 0 ? ` It puts ${files} ${files === 1 ? 'file' : 'files'} in ${target}’s document storage.` : '';
  if (scripts.length === 0) {
    return (
      <p>
        Package {details.id} has no scripts: it runs no SQL on {target}’s databases.{filesText}
      </p>
    );
  }
  const placeholders = [...new Set(scripts.flatMap(({ script }) => [...script.sql.matchAll(/\{\{\s*([A-Za-z]+)\s*\}\}/g)].map((match) => `{{${match[1]}}}`)))];
  return (
    <>
      <p className="muted">
        {scripts.length === 1 ? 'Its one script runs in a transaction.' : `Its ${scripts.length} scripts run in this order, each database’s in one transaction.`}
        {placeholders.length > 0 &&
          ` ${placeholders.join(', ')} ${placeholders.length === 1 ? 'is replaced by its value' : 'are replaced by their values'} for ${target}, as quoted literals.`}
        {filesText}
      </p>
      <ol className="script-list">
        {scripts.map(({ role, script }, index) => {
          const where = `${databaseRoleLabel(role)} database`;
          return (
            <li key={`${role}-${index}`}>
              <p className="script-name">
                <span className="muted">{where} ·</span> {script.name}
              </p>
              <pre className="log script-sql" tabIndex={0} role="group" aria-label={`SQL of “${script.name}” (${where})`}>
                {script.sql.trimEnd()}
              </pre>
            </li>
          );
        })}
      </ol>
    </>
  );
}

/** Every script with its database, in the order they run: the application database's first. */
function scriptsInOrder(details: AssetDetails): { role: string; script: AssetScript }[] {
  const known = Object.keys(DATABASE_ROLE_LABELS);
  const roles = [...known, ...Object.keys(details.scripts).filter((role) => !known.includes(role))];
  return roles.flatMap((role) => (details.scripts[role] ?? []).map((script) => ({ role, script })));
}
