// SPDX-License-Identifier: MIT
// The admin center shell: sign-in, who is signed in, navigation, and a hash
// router that hands each page a <main> to render into.

import * as api from './api.js';
import { h, add, clear, errorBox, loading } from './dom.js';

/** The signed-in session: {name, role, permissions:Set}. */
export const session = { me: null };

const P = {
  wfWrite: 'LifecycleWorkflows-Workflow.ReadWrite.All',
  activate: 'LifecycleWorkflows-Workflow.Activate',
  extWrite: 'LifecycleWorkflows-CustomExt.ReadWrite.All',
  lcwWrite: 'LifecycleWorkflows.ReadWrite.All',
  reports: 'LifecycleWorkflows-Reports.Read.All',
  audit: 'AuditLog.Read.All',
  dirRead: 'Directory.Read.All',
};

/** May the signed-in token do `what` (a key of P)? */
export function can(what) {
  return !!session.me && session.me.permissions.has(P[what] || what);
}

const NAV = [
  ['Workflows', '#/workflows', 'workflows'],
  ['Deleted workflows', '#/deleted', 'deleted'],
  ['Custom task extensions', '#/extensions', 'extensions'],
  ['Settings', '#/settings', 'settings'],
  ['Audit logs', '#/audit', 'audit'],
  ['Insights', '#/insights', 'insights'],
];

const PAGES = {
  workflows: () => import('./pages/workflows.js'),
  deleted: () => import('./pages/deleted.js'),
  extensions: () => import('./pages/extensions.js'),
  settings: () => import('./pages/settings.js'),
  audit: () => import('./pages/audit.js'),
  insights: () => import('./pages/insights.js'),
};

/** Parse location.hash "#/a/b?x=1" -> {parts:['a','b'], params:URLSearchParams}. */
export function route() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query) };
}

/** Change the query part of the current route without adding a history entry per keystroke. */
export function setParams(params, replace = true) {
  const { parts } = route();
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, v);
  const hash = `#/${parts.map(encodeURIComponent).join('/')}${[...s].length ? `?${s}` : ''}`;
  if (replace) history.replaceState(null, '', hash);
  else location.hash = hash;
}

const root = document.getElementById('app');
let renderSeq = 0;

function signInPage(message) {
  document.title = 'Sign in · lcw admin center';
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'token-hint' });
  const err = h('div.signin-error');
  const btn = h('button.primary', { type: 'submit' }, 'Sign in');
  const form = h('form.signin', { 'aria-labelledby': 'signin-title' },
    h('h1#signin-title', 'Sign in'),
    h('p.muted', 'Lifecycle Workflows admin center'),
    h('div.field', h('label', { for: 'token' }, 'Access token'), Object.assign(input, { id: 'token' }),
      h('p.hint#token-hint', 'A token from ', h('code', 'lcwd token create'), '. It is kept for this browser tab only.')),
    err, btn);
  if (message) add(err, errorBox({ message }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const t = input.value.trim();
    if (!t) return;
    btn.disabled = true;
    clear(err);
    try {
      const me = await api.whoami(t);
      api.token.set(t);
      setSession(me);
      if (!location.hash || location.hash.startsWith('#/signin')) location.hash = '#/workflows';
      else render();
    } catch (ex) {
      add(err, errorBox(ex));
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    } finally {
      btn.disabled = false;
    }
  });
  add(clear(root), h('main.signin-wrap', form));
  input.focus();
}

function setSession(me) {
  session.me = { ...me, permissions: new Set(me.permissions || []) };
}

export function signOut() {
  api.token.clear();
  session.me = null;
  location.hash = '#/signin';
  signInPage();
}

function shell(section) {
  const me = session.me;
  const nav = h('nav.side', { 'aria-label': 'Main' },
    h('ul', NAV.map(([label, href, key]) =>
      h('li', h('a', { href, 'aria-current': key === section ? 'page' : null }, label)))));
  const header = h('header.top',
    h('a.brand', { href: '#/workflows' }, h('span.logo', { 'aria-hidden': 'true' }, '◆'), ' lcw admin center'),
    h('div.who', { 'aria-label': 'Signed in as' },
      h('span.who-name', me.name), h('span.who-role', me.role),
      h('button.link-btn', { type: 'button', onclick: signOut }, 'Sign out')));
  const main = h('main#main', { tabindex: '-1' });
  add(clear(root), h('a.skip', { href: '#main', onclick: (e) => { e.preventDefault(); main.focus(); } }, 'Skip to content'),
    header, h('div.layout', nav, main), h('div#toasts', { 'aria-live': 'polite' }));
  return main;
}

async function render() {
  const seq = ++renderSeq;
  const { parts, params } = route();
  if (!api.token.get()) { signInPage(); return; }
  if (!session.me) {
    add(clear(root), loading('Signing in…'));
    try {
      setSession(await api.whoami());
    } catch (e) {
      api.token.clear();
      signInPage(e.message);
      return;
    }
  }
  if (!parts.length || parts[0] === 'signin') { location.replace('#/workflows'); return; }
  const section = PAGES[parts[0]] ? parts[0] : 'workflows';
  const main = shell(section);
  add(main, loading());
  try {
    const mod = await PAGES[section]();
    if (seq !== renderSeq) return;
    clear(main);
    await mod.render(main, parts.slice(1), params, { isCurrent: () => seq === renderSeq });
  } catch (e) {
    if (seq !== renderSeq) return;
    add(clear(main), h('h1', 'Something went wrong'), errorBox(e));
  }
}

api.setUnauthorizedHandler((err) => {
  api.token.clear();
  session.me = null;
  signInPage(`${err.message} — sign in again.`);
});

window.addEventListener('hashchange', render);
render();
