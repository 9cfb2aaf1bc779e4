import type { ReactNode } from 'react';
import type { ApiError } from '../api/client';
import type { Reason } from '../api/types';
import { Remedy } from './Remedy';

/** An error from the API, with its remedy and the reasons of a refusal; announced when it appears. */
export function ErrorNotice({ error, title }: { readonly error: ApiError; readonly title?: string }) {
  return (
    <div className="notice notice-danger" role="alert">
      {title && <p className="notice-title">{title}</p>}
      {error.reasons.length > 0 ? <ReasonList reasons={error.reasons} /> : <p>{error.message}</p>}
      {error.remedy && (
        <p className="remedy">
          What to do: <Remedy text={error.remedy} />
        </p>
      )}
    </div>
  );
}

export function ReasonList({ reasons }: { readonly reasons: readonly Reason[] }) {
  return (
    <ul className="reasons">
      {reasons.map((reason) => (
        <li key={reason.code + reason.message}>
          {reason.message}
          {reason.remedy && (
            <span className="remedy">
              What to do: <Remedy text={reason.remedy} />
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

export function Notice({ tone, children }: { readonly tone: 'info' | 'warning'; readonly children: ReactNode }) {
  return <div className={`notice notice-${tone}`}>{children}</div>;
}

export function Loading({ what }: { readonly what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}
