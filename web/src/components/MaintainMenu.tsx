import { type FocusEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import { Link, paths } from '../router';

interface MaintainMenuProps {
  readonly environment: string;
  /** Maintain › Move database › Refresh database: sandboxes only. */
  readonly refresh: boolean;
  /** Maintain › Apply updates. */
  readonly apply: boolean;
}

/**
 * Maintain › Move database › Refresh database and Maintain › Apply updates: a disclosure
 * menu. Enter or Space opens it, Tab or the arrow keys move through its items, Escape
 * closes it and returns to the button.
 */
export function MaintainMenu({ environment, refresh, apply }: MaintainMenuProps) {
  const [open, setOpen] = useState(false);
  const container = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const panelId = useId();
  const groupId = useId();

  useEffect(() => {
    if (!open) return;
    const closeOutside = (event: PointerEvent) => {
      if (!container.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', closeOutside);
    return () => document.removeEventListener('pointerdown', closeOutside);
  }, [open]);

  const items = () => Array.from(container.current?.querySelectorAll<HTMLElement>('.menu-item') ?? []);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'Escape' && open) {
      event.preventDefault();
      setOpen(false);
      button.current?.focus();
      return;
    }
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    event.preventDefault();
    // Show the panel now: hidden items cannot take the focus.
    flushSync(() => setOpen(true));
    const list = items();
    const at = list.indexOf(document.activeElement as HTMLElement);
    const step = event.key === 'ArrowDown' ? 1 : -1;
    const next = at === -1 ? (step === 1 ? 0 : list.length - 1) : (at + step + list.length) % list.length;
    list[next]?.focus();
  };

  const onBlur = (event: FocusEvent<HTMLDivElement>) => {
    if (!container.current?.contains(event.relatedTarget as Node | null)) setOpen(false);
  };

  return (
    <div className="menu" ref={container} onKeyDown={onKeyDown} onBlur={onBlur}>
      <button
        ref={button}
        type="button"
        className="button button-primary"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((was) => !was)}
      >
        Maintain <span aria-hidden="true">▾</span>
      </button>
      <div id={panelId} className="menu-panel" hidden={!open}>
        {refresh && (
          <div role="group" aria-labelledby={groupId}>
            <p id={groupId} className="menu-group-label">
              Move database
            </p>
            <ul>
              <li>
                <Link to={paths.refresh(environment)} className="menu-item">
                  <span aria-hidden="true">›</span> Refresh database
                </Link>
              </li>
            </ul>
          </div>
        )}
        {apply && (
          <ul className={refresh ? 'menu-section' : undefined}>
            <li>
              <Link to={paths.apply(environment)} className="menu-item">
                Apply updates
              </Link>
            </li>
          </ul>
        )}
      </div>
    </div>
  );
}
