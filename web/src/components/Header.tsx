import type { User } from '../api/types';
import { Link } from '../router';
import { canMaintain, canManageUsers, canReadAudit, ROLE_LABELS } from '../session';

interface HeaderProps {
  readonly user: User;
  readonly pathname: string;
  readonly onSignOut: () => void;
}

export function Header({ user, pathname, onSignOut }: HeaderProps) {
  const links = [
    { to: '/', label: 'Environments', current: pathname === '/' || pathname.startsWith('/environments') || pathname.startsWith('/operations') },
    { to: '/assets', label: 'Asset library', current: pathname === '/assets' },
    { to: '/schedules', label: 'Schedules', current: pathname === '/schedules' },
    ...(canManageUsers(user.role) ? [{ to: '/users', label: 'Users and roles', current: pathname === '/users' }] : []),
    ...(canReadAudit(user.role) ? [{ to: '/audit', label: 'Audit log', current: pathname === '/audit' }] : []),
    ...(canMaintain(user.role) ? [{ to: '/notifications', label: 'Notifications', current: pathname === '/notifications' }] : []),
    { to: '/tokens', label: 'Your account', current: pathname === '/tokens' },
  ];
  return (
    <header className="site-header">
      <div className="site-header-inner">
        <Link to="/" className="brand">
          dataalm
        </Link>
        <nav aria-label="Main">
          <ul>
            {links.map((link) => (
              <li key={link.to}>
                <Link to={link.to} aria-current={link.current ? 'page' : undefined}>
                  {link.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="signed-in">
          <span>
            <span className="visually-hidden">Signed in as </span>
            <strong>{user.name}</strong> <span className="muted">· {ROLE_LABELS[user.role]}</span>
          </span>
          <button type="button" className="button button-quiet" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </div>
    </header>
  );
}
