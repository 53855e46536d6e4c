// SPDX-License-Identifier: MIT
// Custom task extensions: list, create, edit, delete.

import * as api from '../api.js';
import { h, add, clear, fmtDate, dataTable, emptyState, errorBox, loading, dialog, field, showFieldError, confirmDialog, toast } from '../dom.js';
import { can } from '../app.js';

export async function render(main) {
  document.title = 'Custom task extensions · lcw admin center';
  add(main, h('div.page-head', h('h1', 'Custom task extensions'),
    can('extWrite') ? h('button.primary', { type: 'button', onclick: () => edit(null) }, 'Create custom task extension') : null));
  add(main, h('p.muted', 'A custom task extension calls an HTTP endpoint (a Logic App or your own receiver) from a workflow task.'));
  const out = h('div', loading());
  add(main, out);
  let list;
  try {
    list = await api.all(`${api.LW}/customTaskExtensions`);
  } catch (e) {
    add(clear(out), errorBox(e, 'Could not list the custom task extensions'));
    return;
  }
  const endpoint = (x) => x.endpointConfiguration?.targetUrl || (x.endpointConfiguration?.logicAppWorkflowName ? `Logic App ${x.endpointConfiguration.logicAppWorkflowName}` : '—');
  const table = dataTable([
    { label: 'Name', render: (x) => h('div', h('strong', x.displayName), x.description ? h('div.muted.small', x.description) : null) },
    { label: 'Endpoint', render: (x) => h('code.small', endpoint(x)) },
    { label: 'Waits for callback', render: (x) => (x.callbackConfiguration ? `Yes (${x.callbackConfiguration.timeoutDuration || ''})` : 'No') },
    { label: 'Last modified', render: (x) => fmtDate(x.lastModifiedDateTime) },
    { label: 'Actions', render: (x) => (can('extWrite') ? h('div.actions',
      h('button', { type: 'button', onclick: () => edit(x) }, 'Edit'),
      h('button.danger', { type: 'button', onclick: () => remove(x) }, 'Delete')) : '') },
  ], { caption: 'Custom task extensions' });
  table.addRows(list);
  add(clear(out), list.length ? table.el : emptyState('No custom task extensions', 'Create one to call your own endpoint from a workflow.'));
}

function edit(x) {
  const d = dialog(x ? `Edit ${x.displayName}` : 'Create custom task extension', { wide: true });
  const name = h('input', { type: 'text', value: x?.displayName || '' });
  const desc = h('input', { type: 'text', value: x?.description || '' });
  const url = h('input', { type: 'url', value: x?.endpointConfiguration?.targetUrl || '', placeholder: 'https://receiver.example/lcw' });
  const secret = h('input', { type: 'password', autocomplete: 'new-password', placeholder: x ? 'Leave empty to keep the stored secret' : '16 characters or more' });
  const wait = h('input', { type: 'checkbox', checked: !!x?.callbackConfiguration });
  const timeout = h('input', { type: 'text', value: x?.callbackConfiguration?.timeoutDuration || 'PT1H' });
  const form = h('form', { novalidate: true },
    field('Name', name, { path: 'displayName' }),
    field('Description', desc, { path: 'description' }),
    field('Endpoint URL', url, { path: 'endpointConfiguration', hint: 'http:// or https:// (an lcw httpRequestEndpoint).' }),
    field('Shared secret', secret, { path: 'authenticationConfiguration' }),
    h('div', { 'data-path': 'callbackConfiguration' }, h('label.choice', wait, 'Wait for the endpoint to call back (resume)')),
    field('Callback timeout (ISO 8601 duration)', timeout, { path: 'callbackConfiguration.timeoutDuration' }));
  const err = h('div');
  add(d.body, form, err);
  const save = h('button.primary', { type: 'submit' }, x ? 'Save' : 'Create');
  add(d.footer, h('button', { type: 'button', onclick: () => d.close() }, 'Cancel'), save);
  save.addEventListener('click', async () => {
    const body = {
      displayName: name.value.trim(),
      description: desc.value,
      endpointConfiguration: { '@odata.type': '#microsoft.graph.httpRequestEndpoint', targetUrl: url.value.trim() },
      callbackConfiguration: wait.checked ? { '@odata.type': '#microsoft.graph.identityGovernance.customTaskExtensionCallbackConfiguration', timeoutDuration: timeout.value.trim() } : null,
    };
    if (secret.value || !x) body.authenticationConfiguration = { '@odata.type': '#lcw.sharedSecretAuthentication', secret: secret.value };
    save.disabled = true;
    try {
      if (x) await api.patch(`${api.LW}/customTaskExtensions/${x.id}`, body);
      else await api.post(`${api.LW}/customTaskExtensions`, body);
      toast(x ? 'Custom task extension saved' : 'Custom task extension created');
      d.close();
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (e) {
      save.disabled = false;
      showFieldError(form, e, err);
    }
  });
}

async function remove(x) {
  if (!await confirmDialog('Delete custom task extension', `Delete "${x.displayName}"? Workflows that use it must be changed first.`, 'Delete', true)) return;
  try {
    await api.del(`${api.LW}/customTaskExtensions/${x.id}`);
    toast('Custom task extension deleted');
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } catch (e) { toast(e.message, 'error'); }
}
