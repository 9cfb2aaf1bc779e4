import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';

export type Route =
  | { readonly page: 'environments' }
  | { readonly page: 'environment'; readonly name: string }
  | { readonly page: 'refresh'; readonly name: string }
  | { readonly page: 'apply'; readonly name: string }
  | { readonly page: 'assets' }
  | { readonly page: 'operation'; readonly id: number }
  | { readonly page: 'users' }
  | { readonly page: 'audit' }
  | { readonly page: 'tokens' }
  | { readonly page: 'schedules' }
  | { readonly page: 'notifications' }
  | { readonly page: 'login' }
  | { readonly page: 'not-found' };

const NAVIGATED = 'dataalm:navigated';

export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, second, third] = parts;
  if (parts.length === 0) return { page: 'environments' };
  if (parts.length === 1 && (first === 'users' || first === 'audit' || first === 'tokens' || first === 'login' || first === 'assets' || first === 'notifications')) return { page: first };
  if (parts.length === 1 && first === 'schedules') return { page: 'schedules' };
  if (first === 'environments' && second !== undefined) {
    if (parts.length === 2) return { page: 'environment', name: second };
    if (parts.length === 3 && third === 'refresh') return { page: 'refresh', name: second };
    if (parts.length === 3 && third === 'apply') return { page: 'apply', name: second };
  }
  if (first === 'operations' && parts.length === 2 && /^\d+$/.test(second ?? '')) return { page: 'operation', id: Number(second) };
  return { page: 'not-found' };
}

export const paths = {
  environment: (name: string) => `/environments/${encodeURIComponent(name)}`,
  refresh: (name: string) => `/environments/${encodeURIComponent(name)}/refresh`,
  apply: (name: string) => `/environments/${encodeURIComponent(name)}/apply`,
  operation: (id: number) => `/operations/${id}`,
  assets: '/assets',
  notifications: '/notifications',
};

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === window.location.pathname + window.location.search) return;
  if (options.replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  window.dispatchEvent(new Event(NAVIGATED));
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATED, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATED, onChange);
  };
}

/** The current pathname; re-renders on every navigation. */
export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { readonly to: string };

/** An ordinary link that navigates without reloading the page (modified clicks still open a new tab). */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={follow} {...rest} />;
}
