// The step view's form styles load with the app's; formio.js itself is a chunk loaded with a step.
import '@formio/js/dist/formio.form.min.css';
import 'flatpickr/dist/flatpickr.min.css';
import './styles.css';
import '@attest/task-form/taskForm.css';
import './review.css';
import { h, show } from '@attest/task-form/dom';
import { isLanguage, language, setLanguage, t } from '@attest/task-form/i18n';
import { currentSession, Problem, setSession } from './api.ts';
import { api } from './api/client.ts';
import { setZone } from './time.ts';
import { mountPage, unmountPage } from './app/page.tsx';
import { loadTasks, TasksPage } from './features/tasks/TasksPage.tsx';
import { takeNotice } from './notice.ts';
import type { Me, Permission } from './app/me.ts';
import { shellView, visiblePages, type Page } from './app/Shell.tsx';
import { loginView } from './features/login/LoginPage.tsx';

/** Minutes without a touch, a key or a click before the screen locks (A5); the server's session ends at 15. */
const LOCK_MINUTES = 10;

const WORKERS: Permission[] = ['records.perform', 'records.review', 'records.approve'];
// Every page but My tasks is loaded when first opened: an operator's first load carries the task
// list and the sign-in, and none of the step, QA, administration or designer code.
const PAGES: Page[] = [
  {
    route: 'tasks',
    label: 'nav.tasks',
    permissions: WORKERS,
    render: async (c, me) => {
      const notice = takeNotice();
      mountPage(c, <TasksPage me={me} initial={await loadTasks()} notice={notice} />);
    },
  },
  {
    route: 'task',
    label: 'nav.tasks',
    permissions: WORKERS,
    within: 'tasks',
    render: async (c, me, id) => {
      const { loadStep, StepPage } = await import('./features/step/StepPage.tsx');
      mountPage(c, <StepPage me={me} step={await loadStep(id ?? '')} />);
    },
  },
  {
    route: 'new',
    label: 'nav.new',
    permissions: ['records.create'],
    render: async (c) => {
      const { loadEffectiveTemplates, NewRecordPage } =
        await import('./features/newRecord/NewRecordPage.tsx');
      mountPage(c, <NewRecordPage templates={await loadEffectiveTemplates()} />);
    },
  },
  {
    route: 'review',
    label: 'nav.review',
    permissions: ['records.review', 'records.approve', 'records.release'],
    render: async (c) => {
      const { loadReviewQueue, ReviewPage } = await import('./features/review/ReviewPage.tsx');
      mountPage(c, <ReviewPage items={await loadReviewQueue()} />);
    },
  },
  {
    route: 'records',
    label: 'nav.records',
    permissions: ['audit.read'],
    render: async (c) => {
      const { loadRecords, RecordsPage } = await import('./features/records/RecordsPage.tsx');
      mountPage(c, <RecordsPage initial={await loadRecords()} />);
    },
  },
  {
    route: 'designer',
    label: 'nav.designer',
    permissions: ['templates.manage'],
    render: async (c) => (await import('./features/designer/DesignerHome.tsx')).default(c),
  },
  {
    route: 'designer',
    label: 'nav.designer',
    permissions: ['templates.manage'],
    within: 'designer',
    render: async (c, _me, param) =>
      (await import('./features/designer/Workspace.tsx')).default(c, param ?? ''),
  },
  {
    route: 'record',
    label: 'nav.records',
    permissions: ['audit.read'],
    within: 'records',
    render: async (c, me, id) => {
      const [{ loadDossier }, { RecordPage }] = await Promise.all([
        import('./features/record/dossier.ts'),
        import('./features/record/RecordPage.tsx'),
      ]);
      mountPage(c, <RecordPage me={me} dossier={await loadDossier(id ?? '')} />);
    },
  },
  {
    route: 'materials',
    label: 'nav.materials',
    permissions: ['materials.manage', 'materials.receive', 'audit.read'],
    render: async (c, me) => (await import('./features/materials/MaterialsPage.tsx')).default(c, me),
  },
  {
    route: 'lot',
    label: 'nav.materials',
    permissions: ['materials.manage', 'materials.receive', 'audit.read'],
    within: 'materials',
    render: async (c, me, number) =>
      (await import('./features/materials/LotPage.tsx')).default(c, me, number ?? ''),
  },
  {
    route: 'equipment',
    label: 'nav.equipment',
    permissions: ['equipment.manage', 'audit.read'],
    render: async (c, me) => (await import('./features/equipment/EquipmentPage.tsx')).default(c, me),
  },
  {
    route: 'users',
    label: 'admin.nav.users',
    permissions: ['users.manage'],
    render: async (c, me) => (await import('./features/admin/users/UsersPage.tsx')).default(c, me),
  },
  {
    route: 'roles',
    label: 'admin.nav.roles',
    permissions: ['roles.manage'],
    render: async (c, me) => (await import('./features/admin/roles/RolesPage.tsx')).default(c, me),
  },
  {
    route: 'security-changes',
    label: 'admin.nav.securityChanges',
    permissions: ['roles.manage'],
    render: async (c, me) =>
      (await import('./features/admin/securityChanges/SecurityChangesPage.tsx')).default(c, me),
  },
  {
    route: 'templates',
    label: 'admin.nav.templates',
    permissions: ['templates.manage', 'templates.approve'],
    render: async (c, me) => (await import('./features/admin/templates/TemplatesPage.tsx')).default(c, me),
  },
  {
    route: 'template',
    label: 'admin.nav.templates',
    permissions: ['templates.manage', 'templates.approve'],
    within: 'templates',
    render: async (c, me, id) =>
      (await import('./features/admin/templates/TemplateVersionPage.tsx')).default(c, me, id ?? ''),
  },
  {
    route: 'incidents',
    label: 'admin.nav.incidents',
    permissions: ['config.manage', 'templates.manage'],
    render: async (c, me) => (await import('./features/admin/incidents/IncidentsPage.tsx')).default(c, me),
  },
  {
    route: 'plugins',
    label: 'admin.nav.plugins',
    permissions: ['config.manage'],
    render: async (c, me) => (await import('./features/admin/plugins/PluginsPage.tsx')).default(c, me),
  },
  {
    route: 'devices',
    label: 'admin.nav.devices',
    permissions: ['config.manage'],
    render: async (c, me) => (await import('./features/admin/devices/DevicesPage.tsx')).default(c, me),
  },
];

const root = document.getElementById('app')!;
let me: Me | null = null;
let lastActivity = Date.now();

/** The page a hash asks for (`#/task/<id>`: the step page with its id), else the first menu page. */
function routeOf(allowed: Page[]): { page: Page | undefined; param?: string } {
  const [wanted, ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const page = allowed.find((p) => p.route === wanted && (p.within ? rest.length > 0 : rest.length === 0));
  if (page) return { page, param: rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined };
  return { page: allowed.find((p) => !p.within) };
}

async function render(): Promise<void> {
  unmountPage();
  if (!me) return;
  const allowed = visiblePages(PAGES, me);
  const { page, param } = routeOf(allowed);
  const active = page?.within ?? page?.route ?? '';
  const main = shellView(root, me, PAGES, active, () => void render(), signIn);
  if (!page) return;
  show(main, h('p', { class: 'loading' }, t('common.loading')));
  try {
    await page.render(main, me, param);
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
    me = await api.get('/api/auth/me');
  } catch {
    setSession(null);
    return signIn();
  }
  setZone(me.plant.timeZone);
  if (isLanguage(me.user.language) && me.user.language !== language()) setLanguage(me.user.language);
  lastActivity = Date.now();
  await render();
}

function signIn(): void {
  unmountPage();
  me = null;
  setSession(null);
  document.documentElement.lang = language();
  loginView(root, () => void start());
}

/** The inactivity lock: the same person signs in again with their password, or someone else signs in. */
function lock(): void {
  if (!me) return;
  const username = me.user.username;
  unmountPage();
  me = null;
  void api.post('/api/auth/logout').catch(() => undefined);
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
