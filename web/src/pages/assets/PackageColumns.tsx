import type { Asset } from '../../api/types';
import { kindLabel, releasesText, setsText } from '../../assets';

/** What a package is, as both the library and the shared assets list it: kind, version, releases and the versions it sets. */
type PackageFacts = Pick<Asset, 'kind' | 'version' | 'appliesTo' | 'sets'>;

/** The headings of the cells PackageCells puts in a row. */
export function PackageHeadings() {
  return (
    <>
      <th scope="col">Kind</th>
      <th scope="col">Version</th>
      <th scope="col">Releases</th>
      <th scope="col">Sets</th>
    </>
  );
}

/** A package's kind, version, releases and the versions it sets, one cell each. */
export function PackageCells({ asset }: { readonly asset: PackageFacts }) {
  return (
    <>
      <td>{kindLabel(asset.kind)}</td>
      <td className="nowrap">{asset.version}</td>
      <td>{releasesText(asset.appliesTo)}</td>
      <td>
        <SetsList sets={setsText(asset.sets)} />
      </td>
    </>
  );
}

function SetsList({ sets }: { readonly sets: readonly string[] }) {
  if (sets.length === 0) return <span className="muted">No version</span>;
  return (
    <ul className="compact-list">
      {sets.map((text) => (
        <li key={text}>{text}</li>
      ))}
    </ul>
  );
}
