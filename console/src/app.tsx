/**
 * The console's shell: who is signed in (asked of the API; 401 shows the sign-in), the
 * navigation, and the page the address names. Admin pages are offered only to admins; the
 * API refuses them to anyone else anyway.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, setApiBase, setBearerToken, signOut, whenUnauthenticated, type Me } from './api-client.ts';
import { loadConsoleConfig, type ConsoleConfig } from './console-config.ts';
import { cognitoSignOut, finishCognitoSignIn, startCognitoSignIn } from './cognito-sign-in.ts';
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

type Session = { state: 'checking' } | { state: 'signed-out'; config: ConsoleConfig } | { state: 'signed-in'; me: Me; config: ConsoleConfig };

/** Who is signed in: locally the session cookie says; on AWS the token a Cognito redirect just brought, if any. */
async function startSession(): Promise<Session> {
  const config = await loadConsoleConfig();
  if (config.signIn === 'cognito') {
    setApiBase(config.apiUrl);
    const token = await finishCognitoSignIn(config);
    if (!token) return { state: 'signed-out', config };
    setBearerToken(token);
  }
  try {
    return { state: 'signed-in', me: await call<Me>('GET', '/api/user'), config };
  } catch {
    return { state: 'signed-out', config };
  }
}

function SignOutButton({ config, onSignedOut }: { config: ConsoleConfig; onSignedOut(): void }) {
  function signOutNow() {
    if (config.signIn === 'cognito') {
      setBearerToken(undefined);
      return cognitoSignOut(config);
    }
    void signOut().finally(onSignedOut);
  }
  return (
    <button type="button" class="button ghost" onClick={signOutNow}>
      Sign out
    </button>
  );
}

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
    void startSession().then((started) => {
      setSession(started);
      if (started.state !== 'checking') whenUnauthenticated(() => setSession({ state: 'signed-out', config: started.config }));
    });
  }, []);

  if (session.state === 'checking') return <main class="center" aria-busy="true" />;
  const { config } = session;
  if (session.state === 'signed-out') {
    if (config.signIn === 'cognito') return <SignInPage onCognito={() => void startCognitoSignIn(config)} onSignedIn={() => {}} />;
    return <SignInPage onSignedIn={(me) => setSession({ state: 'signed-in', me, config })} />;
  }

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
          <SignOutButton config={config} onSignedOut={() => setSession({ state: 'signed-out', config })} />
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page path={path} me={me} />
      </main>
    </div>
  );
}
