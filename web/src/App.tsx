import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, setCsrfToken, whenUnauthenticated } from './api/client';
import type { SessionInfo, User } from './api/types';
import { Header } from './components/Header';
import { Loading } from './components/Notice';
import { ApplyPage } from './pages/ApplyPage';
import { AssetsPage } from './pages/AssetsPage';
import { AuditPage } from './pages/AuditPage';
import { EnvironmentPage } from './pages/EnvironmentPage';
import { EnvironmentsPage } from './pages/EnvironmentsPage';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { NotificationsPage } from './pages/NotificationsPage';
import { OperationPage } from './pages/OperationPage';
import { RefreshPage } from './pages/RefreshPage';
import { SchedulesPage } from './pages/SchedulesPage';
import { TokensPage } from './pages/TokensPage';
import { UsersPage } from './pages/UsersPage';
import { navigate, parseRoute, type Route, usePathname } from './router';
import { SessionContext, type SessionValue } from './session';

type SessionState = { readonly status: 'checking' } | { readonly status: 'signed-out' } | { readonly status: 'signed-in'; readonly user: User };

export function App() {
  const pathname = usePathname();
  const [session, setSession] = useState<SessionState>({ status: 'checking' });

  const signedIn = useCallback((info: SessionInfo) => {
    setCsrfToken(info.csrfToken ?? null);
    setSession({ status: 'signed-in', user: info.user });
  }, []);

  const signedOut = useCallback(() => {
    setCsrfToken(null);
    setSession({ status: 'signed-out' });
  }, []);

  useEffect(() => {
    whenUnauthenticated(signedOut);
    // Without a session (401), or when the check fails, the login page shows.
    api.get<SessionInfo>('/api/session').then(signedIn, signedOut);
  }, [signedIn, signedOut]);

  useEffect(() => {
    if (session.status === 'signed-in' && pathname === '/login') navigate('/', { replace: true });
  }, [session.status, pathname]);

  const signOut = useCallback(async () => {
    await api.delete('/api/session').catch(() => undefined);
    signedOut();
    navigate('/login');
  }, [signedOut]);

  const value = useMemo<SessionValue | null>(
    () => (session.status === 'signed-in' ? { user: session.user } : null),
    [session],
  );

  if (session.status === 'checking') {
    return (
      <main id="main" className="main">
        <Loading what="dataalm" />
      </main>
    );
  }

  if (!value) {
    return (
      <main id="main" className="main main-narrow">
        <LoginPage onSignedIn={signedIn} />
      </main>
    );
  }

  return (
    <SessionContext.Provider value={value}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header user={value.user} pathname={pathname} onSignOut={() => void signOut()} />
      <main id="main" className="main">
        <RoutePage key={pathname} route={parseRoute(pathname)} />
      </main>
    </SessionContext.Provider>
  );
}

function RoutePage({ route }: { readonly route: Route }) {
  switch (route.page) {
    case 'environments':
    case 'login':
      return <EnvironmentsPage />;
    case 'environment':
      return <EnvironmentPage name={route.name} />;
    case 'refresh':
      return <RefreshPage target={route.name} />;
    case 'apply':
      return <ApplyPage target={route.name} />;
    case 'assets':
      return <AssetsPage />;
    case 'operation':
      return <OperationPage id={route.id} />;
    case 'users':
      return <UsersPage />;
    case 'audit':
      return <AuditPage />;
    case 'tokens':
      return <TokensPage />;
    case 'schedules':
      return <SchedulesPage />;
    case 'notifications':
      return <NotificationsPage />;
    case 'not-found':
      return <NotFoundPage />;
  }
}
