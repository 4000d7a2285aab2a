import './styles.css';
import { currentSession, Problem, request, setSession } from './api.ts';
import { h, show } from './dom.ts';
import { language, setLanguage, t } from './i18n/index.ts';
import { loginView } from './views/login.ts';
import { newRecordView } from './views/newRecord.ts';
import { recordsView } from './views/records.ts';
import { shellView, visiblePages, type Me, type Page } from './views/shell.ts';
import { tasksView } from './views/tasks.ts';

/** Minutes without a touch, a key or a click before the screen locks (A5); the server's session ends at 15. */
const LOCK_MINUTES = 10;

const PAGES: Page[] = [
  {
    route: 'tasks',
    label: 'nav.tasks',
    permissions: ['records.perform', 'records.review', 'records.approve'],
    render: (c, me) => tasksView(c, me),
  },
  { route: 'new', label: 'nav.new', permissions: ['records.create'], render: (c) => newRecordView(c) },
  { route: 'records', label: 'nav.records', permissions: ['audit.read'], render: (c) => recordsView(c) },
];

const root = document.getElementById('app')!;
let me: Me | null = null;
let lastActivity = Date.now();

function routeOf(allowed: Page[]): Page | undefined {
  const wanted = location.hash.replace(/^#\/?/, '');
  return allowed.find((p) => p.route === wanted) ?? allowed[0];
}

async function render(): Promise<void> {
  if (!me) return;
  const allowed = visiblePages(PAGES, me);
  const page = routeOf(allowed);
  const main = shellView(root, me, PAGES, page?.route ?? '', () => void render(), signIn);
  if (!page) return;
  show(main, h('p', { class: 'loading' }, t('common.loading')));
  try {
    await page.render(main, me);
  } catch (error) {
    if (error instanceof Problem && error.status === 401) return signIn();
    const retry = h('button', { type: 'button' }, t('common.retry'));
    retry.addEventListener('click', () => void render());
    show(
      main,
      h(
        'p',
        { class: 'message error', role: 'alert' },
        t('common.error', { detail: (error as Error).message }),
      ),
      retry,
    );
  }
}

async function start(): Promise<void> {
  try {
    me = await request<Me>('GET', '/api/auth/me');
  } catch {
    setSession(null);
    return signIn();
  }
  lastActivity = Date.now();
  await render();
}

function signIn(): void {
  me = null;
  setSession(null);
  document.documentElement.lang = language();
  loginView(root, () => void start());
}

/** The inactivity lock: the same person signs in again with their password, or someone else signs in. */
function lock(): void {
  if (!me) return;
  const username = me.user.username;
  me = null;
  void request('POST', '/api/auth/logout').catch(() => undefined);
  setSession(null);
  loginView(root, () => void start(), {
    username,
    title: t('lock.title'),
    note: t('lock.why', { minutes: LOCK_MINUTES }),
    other: signIn,
  });
}

for (const type of ['pointerdown', 'keydown', 'touchstart']) {
  document.addEventListener(type, () => (lastActivity = Date.now()), { passive: true });
}
setInterval(() => {
  if (me && Date.now() - lastActivity > LOCK_MINUTES * 60_000) lock();
}, 15_000);
window.addEventListener('hashchange', () => void render());

setLanguage(language());
if (currentSession()) void start();
else signIn();
