import type { ReactNode } from 'react';
import type { RefreshSource } from '../../api/types';
import { ReasonList } from '../../components/Notice';
import { StatusBadge } from '../../components/StatusBadge';

interface SourcePickerProps {
  readonly sources: readonly RefreshSource[];
  readonly value: string | undefined;
  readonly onChange: (source: string) => void;
  /** What to do about an ineligible source beyond its reasons' remedies (e.g. a link to Apply updates). */
  readonly fix?: (source: RefreshSource) => ReactNode;
}

/** Every other environment as a source; the ones that cannot be used say why. */
export function SourcePicker({ sources, value, onChange, fix }: SourcePickerProps) {
  return (
    <fieldset className="card source-picker">
      <legend>Source environment</legend>
      {sources.length === 0 && <p className="empty">There is no other environment to copy from.</p>}
      {sources.map((source) => {
        const id = `source-${source.name}`;
        return (
          <div key={source.name} className={source.eligible ? 'option' : 'option option-disabled'}>
            <input
              type="radio"
              id={id}
              name="source"
              value={source.name}
              checked={value === source.name}
              disabled={!source.eligible}
              aria-describedby={source.eligible ? undefined : `${id}-reasons`}
              onChange={() => onChange(source.name)}
            />
            <div>
              <label htmlFor={id}>
                {source.name} <StatusBadge status={source.type} />
              </label>
              {!source.eligible && (
                <div id={`${id}-reasons`} className="option-reasons">
                  {source.reasons.length === 0 ? (
                    <span>Cannot be used as the source until what is said above is fixed.</span>
                  ) : (
                    <>
                      <span>Cannot be used as the source:</span>
                      <ReasonList reasons={source.reasons} />
                    </>
                  )}
                  {fix?.(source)}
                </div>
              )}
            </div>
          </div>
        );
      })}
    </fieldset>
  );
}
