// SPDX-License-Identifier: MIT
// Deleted workflows: restore, delete permanently, days left.

import * as api from '../api.js';
import { h, add, clear, fmtDate, dataTable, emptyState, errorBox, loading, confirmDialog, toast } from '../dom.js';
import { can } from '../app.js';

export async function render(main) {
  document.title = 'Deleted workflows · lcw admin center';
  add(main, h('h1', 'Deleted workflows'));
  const out = h('div', loading());
  add(main, out);
  let list;
  let retention = 30;
  try {
    list = await api.all(`${api.LW}/deletedItems/workflows`);
  } catch (e) {
    add(clear(out), errorBox(e, 'Could not list the deleted workflows'));
    return;
  }
  main.insertBefore(h('p.muted', `Deleted workflows are kept for ${retention} days (the lcwd setting --deleted-retention-days), then removed for good.`), out);
  const daysLeft = (w) => Math.max(0, Math.ceil((Date.parse(w.deletedDateTime) + retention * 864e5 - Date.now()) / 864e5));
  const table = dataTable([
    { label: 'Name', render: (w) => h('strong', w.displayName) },
    { label: 'Category', render: (w) => w.category },
    { label: 'Deleted', render: (w) => fmtDate(w.deletedDateTime) },
    { label: 'Days left', className: 'num', render: (w) => daysLeft(w) },
    { label: 'Actions', render: (w) => (can('wfWrite') ? h('div.actions',
      h('button', { type: 'button', onclick: () => restore(w) }, 'Restore'),
      h('button.danger', { type: 'button', onclick: () => purge(w) }, 'Delete permanently')) : '') },
  ], { caption: 'Deleted workflows' });
  table.addRows(list);
  add(clear(out), list.length ? table.el : emptyState('No deleted workflows', 'Workflows you delete appear here until they are removed for good.'));

  async function restore(w) {
    try {
      await api.post(`${api.LW}/deletedItems/workflows/${w.id}/restore`, {});
      toast(`Restored ${w.displayName}`);
      location.hash = `#/workflows/${w.id}`;
    } catch (e) { toast(e.message, 'error'); }
  }
  async function purge(w) {
    if (!await confirmDialog('Delete permanently', `Delete "${w.displayName}" and its history for good? This cannot be undone.`, 'Delete permanently', true)) return;
    try {
      await api.del(`${api.LW}/deletedItems/workflows/${w.id}`);
      toast(`${w.displayName} deleted permanently`);
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (e) { toast(e.message, 'error'); }
  }
}
