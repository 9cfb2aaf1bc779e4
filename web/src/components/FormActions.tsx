import type { ApiError } from '../api/client';
import { Link } from '../router';
import { ErrorNotice } from './Notice';

interface FormActionsProps {
  /** The submit button's label, e.g. "Apply". */
  readonly label: string;
  /** Whether the form cannot be submitted yet; it cannot while submitting either. */
  readonly disabled: boolean;
  readonly submitting: boolean;
  /** Why the last submit failed (a refusal lists its reasons), shown under `failureTitle`. */
  readonly failure: ApiError | undefined;
  readonly failureTitle: string;
  /** Where Cancel leads. */
  readonly cancelTo: string;
}

/** The end of a form that starts an operation: why the last try failed, the submit button and Cancel. */
export function FormActions({ label, disabled, submitting, failure, failureTitle, cancelTo }: FormActionsProps) {
  return (
    <>
      {failure && <ErrorNotice error={failure} title={failureTitle} />}
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={disabled || submitting}>
          {submitting ? 'Starting…' : label}
        </button>
        <Link to={cancelTo} className="button">
          Cancel
        </Link>
      </div>
    </>
  );
}
