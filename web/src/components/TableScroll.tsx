import { type ReactNode, useEffect, useRef, useState } from 'react';

interface TableScrollProps {
  /** What the table holds, e.g. "History": the name of the box when it scrolls. */
  readonly label: string;
  /** `table-card` for a table that is a card of its own. (Default: `table-scroll`, a table inside a card) */
  readonly className?: string;
  readonly children: ReactNode;
}

/**
 * A data table that scrolls sideways inside its own box when the window is narrower than it
 * (a phone), instead of widening the page. While it scrolls, the box is a named region that
 * takes the keyboard focus, so it can be scrolled with the arrow keys too.
 */
export function TableScroll({ label, className = 'table-scroll', children }: TableScrollProps) {
  const box = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const measure = () => setScrolls(element.scrollWidth > element.clientWidth + 1);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    if (element.firstElementChild) observer.observe(element.firstElementChild);
    return () => observer.disconnect();
  }, []);

  return (
    <div ref={box} className={className} {...(scrolls ? { role: 'region', 'aria-label': label, tabIndex: 0 } : {})}>
      {children}
    </div>
  );
}
