import { useId, useState } from 'react';

/** A read-only value with a button that copies it to the clipboard. */
export function CopyField({ label, value }: { readonly label: string; readonly value: string }) {
  const id = useId();
  const [copied, setCopied] = useState<'yes' | 'no'>();

  const copy = () => {
    // The clipboard exists only on secure origins (https, localhost); elsewhere this rejects.
    Promise.resolve()
      .then(() => navigator.clipboard.writeText(value))
      .then(
        () => setCopied('yes'),
        () => setCopied('no'),
      );
  };

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-field">
        <input id={id} type="text" readOnly value={value} spellCheck={false} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" className="button" onClick={copy} aria-label={`Copy ${label}`}>
          Copy
        </button>
      </div>
      <span className="hint" role="status">
        {copied === 'yes' && 'Copied to the clipboard.'}
        {copied === 'no' && 'Could not copy; select the text and copy it yourself.'}
      </span>
    </div>
  );
}
