import { useId } from 'react';

interface TextFieldProps {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly hint?: string;
  readonly required?: boolean;
  /** A connection URL with its password: not echoed on the screen, not remembered by the browser. */
  readonly secret?: boolean;
  readonly placeholder?: string;
}

/** One labelled text input of a form, with its hint read out after the label. */
export function TextField({ id, label, value, onChange, hint, required, secret, placeholder }: TextFieldProps) {
  const hintId = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type={secret ? 'password' : 'text'}
        autoComplete={secret ? 'new-password' : 'off'}
        spellCheck={false}
        value={value}
        required={required}
        placeholder={placeholder}
        aria-describedby={hint ? hintId : undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      {hint && (
        <span id={hintId} className="muted">
          {hint}
        </span>
      )}
    </div>
  );
}
