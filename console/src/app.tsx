/**
 * The console's shell: who is signed in (asked of the API; 401 shows the sign-in), the
 * navigation, and the page the address names. Admin pages are offered only to admins; the
 * API refuses them to anyone else anyway.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, signOut, whenUnauthenticated, type Me } from './api-client.ts';
import { href, match, usePath } from './router.ts';
import { SignInPage } from './pages/sign-in-page.tsx';
import { ResourcesPage } from './pages/resources-page.tsx';
import { ResourcePage } from './pages/resource-page.tsx';
import { CreatePage } from './pages/create-page.tsx';
import { CatalogPage } from './pages/catalog-page.tsx';
import { TokensPage } from './pages/tokens-page.tsx';
import { UsersPage } from './pages/users-page.tsx';
import { IamRolesPage } from './pages/iam-roles-page.tsx';
import { EmptyState } from './components/notice.tsx';

type Session = { state: 'checking' } | { state: 'signed-out' } | { state: 'signed-in'; me: Me };

interface NavItem {
  path: string;
  label: string;
  route: string;
  adminOnly?: boolean;
}

const NAV: NavItem[] = [
  { path: '/resources', label: 'Resources', route: 'resources' },
  { path: '/new', label: 'New', route: 'create' },
  { path: '/catalog', label: 'Catalog', route: 'catalog' },
  { path: '/tokens', label: 'Tokens', route: 'tokens' },
  { path: '/admin/users', label: 'Users', route: 'users', adminOnly: true },
  { path: '/admin/iam-roles', label: 'IAM roles', route: 'roles', adminOnly: true },
];

function Page({ path, me }: { path: string; me: Me }) {
  const found = match(path);
  const item = NAV.find((n) => n.route === found?.name);
  if (!found || (item?.adminOnly && !me.admin)) {
    return (
      <EmptyState title="There is no such page.">
        <a href={href('/resources')}>Go to your resources</a>
      </EmptyState>
    );
  }
  switch (found.name) {
    case 'resources':
      return <ResourcesPage />;
    case 'resource':
      return <ResourcePage kind={found.params.kind!} id={found.params.id!} />;
    case 'create':
      return <CreatePage me={me} />;
    case 'catalog':
      return <CatalogPage />;
    case 'tokens':
      return <TokensPage me={me} />;
    case 'users':
      return <UsersPage />;
    default:
      return <IamRolesPage />;
  }
}

export function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' });
  const path = usePath();

  useEffect(() => {
    whenUnauthenticated(() => setSession({ state: 'signed-out' }));
    call<Me>('GET', '/api/user')
      .then((me) => setSession({ state: 'signed-in', me }))
      .catch(() => setSession({ state: 'signed-out' }));
  }, []);

  if (session.state === 'checking') return <main class="center" aria-busy="true" />;
  if (session.state === 'signed-out') return <SignInPage onSignedIn={(me) => setSession({ state: 'signed-in', me })} />;

  const { me } = session;
  const current = match(path)?.name;
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href={href('/resources')} aria-label="Cassini home">
          <span class="logo" aria-hidden="true" />
          Cassini
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((item) => !item.adminOnly || me.admin).map((item) => (
              <li key={item.path}>
                <a href={href(item.path)} aria-current={current === item.route || (item.route === 'resources' && current === 'resource') ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span title={me.admin ? 'Administrator' : 'User'}>
            {me.username}
            {me.admin && <span class="tag">admin</span>}
          </span>
          <button
            type="button"
            class="button ghost"
            onClick={() => void signOut().finally(() => setSession({ state: 'signed-out' }))}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page path={path} me={me} />
      </main>
    </div>
  );
}
