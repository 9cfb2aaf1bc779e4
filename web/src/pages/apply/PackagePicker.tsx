import type { Environment, EnvironmentPackage } from '../../api/types';
import { changeText, kindLabel, packageName, versionChanges } from '../../assets';
import { ReasonList } from '../../components/Notice';

interface PackagePickerProps {
  readonly environment: Environment;
  readonly packages: readonly EnvironmentPackage[];
  readonly value: number | undefined;
  readonly onChange: (id: number) => void;
}

/** Every package of the library; the ones that do not apply to the environment say why. */
export function PackagePicker({ environment, packages, value, onChange }: PackagePickerProps) {
  return (
    <fieldset className="card source-picker">
      <legend>Packages in the asset library</legend>
      {packages.length === 0 && <p className="empty">The asset library has no packages yet: import one from the shared assets below.</p>}
      {packages.map(({ asset, applicable, reasons }) => {
        const id = `package-${asset.id}`;
        const changes = versionChanges(environment, asset.sets);
        return (
          <div key={asset.id} className={applicable ? 'option' : 'option option-disabled'}>
            <input
              type="radio"
              id={id}
              name="package"
              value={asset.id}
              checked={value === asset.id}
              disabled={!applicable}
              aria-describedby={`${id}-details`}
              onChange={() => onChange(asset.id)}
            />
            <div>
              <label htmlFor={id}>
                {packageName(asset, ' · ')}
              </label>
              <div id={`${id}-details`} className="option-reasons">
                <span>
                  Package {asset.id} · {kindLabel(asset.kind)}
                  {changes.length > 0 ? ` · ${changes.map(changeText).join(', ')}` : ' · sets no version'}
                </span>
                {!applicable && (
                  <>
                    <span className="visually-hidden">. </span>
                    <span className="option-refused">Cannot be applied to {environment.name}:</span>
                    <ReasonList reasons={reasons} />
                  </>
                )}
              </div>
            </div>
          </div>
        );
      })}
    </fieldset>
  );
}
