import { createRouter, createWebHistory } from 'vue-router'
import { ElMessage } from 'element-plus'
import { store, initSession } from './store'
import { can, canAnywhere } from './permissions'
import SetupView from './views/SetupView.vue'
import LoginView from './views/LoginView.vue'
import MainLayout from './views/MainLayout.vue'
import HomeView from './views/HomeView.vue'
import TableView from './views/TableView.vue'
import SchemesView from './views/SchemesView.vue'
import SchemeEditor from './views/SchemeEditor.vue'
import RfmView from './views/RfmView.vue'
import RulesView from './views/RulesView.vue'
import RuleEditor from './views/RuleEditor.vue'
import InviteView from './views/InviteView.vue'

export const router = createRouter({
  history: createWebHistory('/'),
  routes: [
    { path: '/setup', name: 'setup', component: SetupView },
    { path: '/login', name: 'login', component: LoginView },
    // A one-time link (invitation or password reset): open to whoever holds it.
    { path: '/invite/:token', name: 'invite', component: InviteView, props: true, meta: { open: true } },
    // A public form (线索收集表单): anyone may fill it in, outside the signed-in layout.
    { path: '/f/:token', name: 'public-form', component: () => import('./views/PublicFormView.vue'), props: true, meta: { open: true } },
    {
      path: '/',
      component: MainLayout,
      children: [
        { path: '', name: 'home', component: HomeView },
        { path: 't/:tableId', name: 'table', component: TableView, props: true },
        { path: 'todo', name: 'todo', component: () => import('./views/TodoView.vue') },
        { path: 'schemes', name: 'schemes', component: SchemesView, meta: { rules: true } },
        { path: 'schemes/new', name: 'scheme-new', component: SchemeEditor, meta: { rules: true } },
        { path: 'schemes/:id', name: 'scheme-edit', component: SchemeEditor, props: true, meta: { rules: true } },
        { path: 'rfm', name: 'rfm', component: RfmView, meta: { rules: true } },
        { path: 'rules', name: 'rules', component: RulesView, meta: { rules: true } },
        { path: 'rules/new', name: 'rule-new', component: RuleEditor, meta: { rules: true } },
        { path: 'rules/:id', name: 'rule-edit', component: RuleEditor, props: true, meta: { rules: true } },
        { path: 'flows', name: 'flows', component: () => import('./views/FlowsView.vue'), meta: { rules: true } },
        { path: 'flows/:id', name: 'flow-edit', component: () => import('./views/FlowDesigner.vue'), props: true, meta: { rules: true } },
        // Dashboards load ECharts: a chunk of their own, fetched on first visit.
        { path: 'dashboards', name: 'dashboards', component: () => import('./views/DashboardsView.vue') },
        { path: 'dashboards/:id', name: 'dashboard', component: () => import('./views/DashboardsView.vue'), props: true },
        { path: 'admin/trash', name: 'trash', component: () => import('./views/TrashView.vue'), meta: { may: 'see_deleted' } },
        { path: 'admin/forms', name: 'forms', component: () => import('./views/FormsView.vue'), meta: { may: 'manage_schema' } },
        { path: 'admin/robots', name: 'robots', component: () => import('./views/RobotsView.vue'), meta: { may: 'manage_schema' } },
        { path: 'admin/webhooks', name: 'webhooks', component: () => import('./views/WebhooksView.vue'), meta: { may: 'manage_schema' } },
        // API 令牌: everyone's own, in their personal settings.
        { path: 'tokens', name: 'tokens', component: () => import('./views/TokensView.vue') },
        { path: 'admin/backups', name: 'backups', component: () => import('./views/BackupsView.vue'), meta: { may: 'backup' } },
        { path: 'admin/departments', name: 'departments', component: () => import('./views/DepartmentsView.vue'), meta: { may: 'manage_users' } },
        { path: 'admin/roles', name: 'roles', component: () => import('./views/RolesView.vue'), meta: { may: 'manage_users' } },
        { path: 'admin/roles/new', name: 'role-new', component: () => import('./views/RoleEditor.vue'), meta: { may: 'manage_users' } },
        { path: 'admin/roles/:id', name: 'role-edit', component: () => import('./views/RoleEditor.vue'), props: true, meta: { may: 'manage_users' } },
        { path: 't/:tableId/api', name: 'table-api', component: () => import('./views/TableApiView.vue'), props: true },
        { path: 'admin/people', name: 'people', component: () => import('./views/PeopleView.vue'), meta: { may: 'manage_users' } },
        { path: 'admin/audit', name: 'audit', component: () => import('./views/AuditView.vue'), meta: { may: 'manage_users' } },
      ],
    },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

router.beforeEach(async (to) => {
  if (!store.ready) {
    try {
      await initSession()
    } catch (e) {
      // Server unreachable: the login page retries when the user signs in.
      ElMessage.error(e.message)
      return to.name === 'login' ? true : { name: 'login' }
    }
  }
  if (store.needsSetup) return to.name === 'setup' ? true : { name: 'setup' }
  if (to.name === 'setup') return { name: store.user ? 'home' : 'login' }
  if (to.meta.open) return true
  if (!store.user && to.name !== 'login') return { name: 'login', query: { redirect: to.fullPath } }
  if (store.user && to.name === 'login') return { name: 'home' }
  if (to.meta.rules && !canAnywhere('manage_rules')) return { name: 'home' }
  if (to.meta.may && !can(to.meta.may)) return { name: 'home' }
  return true
})
