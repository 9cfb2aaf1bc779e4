import type { ReactNode } from 'react';

/** Label–value pairs as a description list. */
export function DetailList({ items }: { readonly items: readonly (readonly [string, ReactNode])[] }) {
  return (
    <dl className="details">
      {items.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
