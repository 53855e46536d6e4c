// SPDX-License-Identifier: MIT
// Small DOM helpers: an element builder, formatting, status badges, tables
// rendered incrementally, dialogs (native <dialog>: focus kept inside,
// Escape closes), field errors placed next to the field the API named.

/**
 * h('button.primary', {onclick, type: 'button'}, 'Text', child...)
 * Attributes: on* are listeners, `class`, `dataset`, booleans, aria-*.
 */
export function h(tag, attrs, ...children) {
  const m = /^([a-z0-9-]+)((?:[.#][\w-]+)*)$/i.exec(tag);
  const el = document.createElement(m ? m[1] : tag);
  if (m && m[2]) {
    for (const part of m[2].match(/[.#][\w-]+/g)) {
      if (part[0] === '.') el.classList.add(part.slice(1));
      else el.id = part.slice(1);
    }
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = [el.className, v].filter(Boolean).join(' ');
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'indeterminate') el[k] = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// ------------------------------------------------------------ formatting

const dtf = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const dtfy = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const dtfs = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
/** "Nov 27, 02:55" (the year only when it is not this year); seconds: full. */
export function fmtDate(s, seconds = false) {
  if (!s) return '—';
  const d = new Date(s);
  if (seconds) return dtfs.format(d);
  return (d.getFullYear() === new Date().getFullYear() ? dtf : dtfy).format(d);
}
export const fmtBool = (b) => (b ? 'Yes' : 'No');
// UUIDv7 ids share their leading (time) digits: the tail tells runs apart.
export const shortId = (id) => (id ? String(id).slice(-8) : '');

export function duration(a, b) {
  if (!a || !b) return '—';
  const ms = Date.parse(b) - Date.parse(a);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60000)} min`;
}

const STATUS_TEXT = {
  queued: 'Queued',
  inProgress: 'In progress',
  completed: 'Completed',
  completedWithErrors: 'Completed with errors',
  canceled: 'Canceled',
  failed: 'Failed',
  unknownFutureValue: 'Unknown',
};
export const statusText = (s) => STATUS_TEXT[s] || s || '—';
export const STATUSES = ['completed', 'inProgress', 'queued', 'canceled', 'completedWithErrors', 'failed'];
export const FINAL = ['completed', 'completedWithErrors', 'canceled', 'failed'];

export function badge(status) {
  return h(`span.badge.st-${status || 'none'}`, statusText(status));
}

const EXEC_TEXT = {
  scheduled: 'Scheduled',
  onDemand: 'On-demand',
  activatedWithScope: 'Reprocess',
  unknownFutureValue: 'Other',
};
export const execText = (t) => EXEC_TEXT[t] || t || '—';

// ------------------------------------------------------------ feedback

/** A live region for short confirmations ("Workflow created"). */
export function toast(text, kind = 'ok') {
  const box = document.getElementById('toasts');
  if (!box) return;
  const t = h(`div.toast.${kind}`, { role: kind === 'error' ? 'alert' : 'status' }, text);
  box.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 9000 : 4000);
}

/** An inline error box with the API's message (and its request id for support). */
export function errorBox(err, what) {
  const msg = err?.message || String(err);
  return h('div.error', { role: 'alert' },
    what ? h('strong', `${what}: `) : null, msg,
    err?.requestId ? h('span.muted.small', ` (request ${err.requestId})`) : null);
}

export function emptyState(title, text, action) {
  return h('div.empty', h('p.empty-title', title), text ? h('p.muted', text) : null, action || null);
}

export function loading(text = 'Loading…') {
  return h('p.loading', { role: 'status' }, text);
}

/**
 * Show `err` next to the field it is about: API messages start with the
 * property path ("displayName: ...", "executionConditions.scope.rule: ...",
 * "tasks[2].arguments: ..."). Fields carry data-path; the longest path that
 * prefixes the message wins; otherwise the message goes to `fallback`.
 */
export function showFieldError(form, err, fallback) {
  clearFieldErrors(form);
  const msg = err?.message || String(err);
  const m = /^([\w.[\]@#$/]+):\s/.exec(msg);
  let best = null;
  if (m) {
    const path = m[1].replace(/^workflow\./, '');
    for (const el of form.querySelectorAll('[data-path]')) {
      const p = el.dataset.path;
      if ((path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`)) && (!best || p.length > best.dataset.path.length)) best = el;
    }
  }
  const box = errorBox(err);
  box.classList.add('field-error');
  if (best) {
    best.after(box);
    const input = best.matches('input,select,textarea') ? best : best.querySelector('input,select,textarea,button');
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  } else if (fallback) {
    clear(fallback).append(box);
  } else {
    form.prepend(box);
  }
  return box;
}

export function clearFieldErrors(form) {
  for (const e of form.querySelectorAll('.field-error')) e.remove();
  for (const e of form.querySelectorAll('[aria-invalid]')) e.removeAttribute('aria-invalid');
}

// ------------------------------------------------------------ dialogs

/**
 * Open a modal dialog. Escape and "Close" close it (onClose runs). Returns
 * {el, body, footer, close}. Focus goes to the first field, and back to the
 * opener on close.
 */
export function dialog(title, { wide = false, onClose } = {}) {
  const opener = document.activeElement;
  const id = `dlg-${Math.random().toString(36).slice(2, 8)}`;
  const body = h('div.dialog-body');
  const footer = h('div.dialog-footer');
  const closeBtn = h('button.icon', { type: 'button', 'aria-label': 'Close dialog', title: 'Close' }, '×');
  const el = h(`dialog.dialog${wide ? '.wide' : ''}`, { 'aria-labelledby': id },
    h('div.dialog-head', h('h2', { id }, title), closeBtn), body, footer);
  document.body.append(el);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    if (el.open) el.close();
    el.remove();
    if (onClose) onClose();
    if (opener && opener.isConnected) opener.focus();
  };
  closeBtn.addEventListener('click', close);
  el.addEventListener('close', close);
  el.addEventListener('cancel', (e) => { e.preventDefault(); close(); });
  el.showModal();
  queueMicrotask(() => {
    const first = body.querySelector('input:not([type=hidden]),select,textarea,button') || closeBtn;
    first.focus();
  });
  return { el, body, footer, close };
}

/** A yes/no question; resolves true when confirmed. */
export function confirmDialog(title, text, confirmLabel = 'Confirm', danger = false) {
  return new Promise((resolve) => {
    let answered = false;
    const d = dialog(title, { onClose: () => { if (!answered) resolve(false); } });
    d.body.append(h('p', text));
    d.footer.append(
      h('button', { type: 'button', onclick: () => d.close() }, 'Cancel'),
      h(`button.${danger ? 'danger' : 'primary'}`, { type: 'button', onclick: () => { answered = true; resolve(true); d.close(); } }, confirmLabel));
  });
}

// ------------------------------------------------------------ tables

/**
 * A table whose rows are appended page by page (rendering stays fast and
 * the first rows show at once). columns: [{label, render(item) -> node|text,
 * className}]. opts.select: {max, onChange, label(item)} adds checkboxes.
 */
export function dataTable(columns, opts = {}) {
  const selected = new Map();
  const tbody = h('tbody');
  const head = h('tr');
  let selectAll = null;
  if (opts.select && opts.select.max === 1) {
    head.append(h('th.sel', { scope: 'col' }, h('span.sr-only', 'Select')));
  } else if (opts.select) {
    selectAll = h('input', { type: 'checkbox', 'aria-label': 'Select all rows on this page' });
    selectAll.addEventListener('change', () => {
      for (const cb of tbody.querySelectorAll('input.row-select')) {
        if (cb.disabled) continue;
        if (cb.checked !== selectAll.checked) {
          if (selectAll.checked && opts.select.max && selected.size >= opts.select.max) break;
          cb.checked = selectAll.checked;
          cb.dispatchEvent(new Event('change'));
        }
      }
    });
    head.append(h('th.sel', { scope: 'col' }, selectAll));
  }
  for (const c of columns) head.append(h('th', { scope: 'col', class: c.className }, c.label));
  const table = h(`table.data${opts.compact ? '.compact' : ''}`, opts.caption ? h('caption.sr-only', opts.caption) : null, h('thead', head), tbody);
  const wrap = h('div.table-wrap', table);

  function addRows(items) {
    const frag = document.createDocumentFragment();
    for (const item of items) {
      const tr = h('tr');
      if (opts.rowClass) tr.className = opts.rowClass(item) || '';
      if (opts.select) {
        const key = opts.select.key ? opts.select.key(item) : item.id;
        const cb = h('input.row-select', {
          type: 'checkbox',
          'aria-label': `Select ${opts.select.label ? opts.select.label(item) : key}`,
          checked: selected.has(key),
          disabled: opts.select.disabled ? opts.select.disabled(item) : false,
        });
        cb.addEventListener('change', () => {
          if (cb.checked) {
            if (opts.select.max === 1 && selected.size) {
              // One at a time: picking another row replaces the choice.
              selected.clear();
              for (const other of tbody.querySelectorAll('input.row-select')) {
                if (other !== cb && other.checked) { other.checked = false; other.closest('tr').classList.remove('selected'); }
              }
            }
            if (opts.select.max && selected.size >= opts.select.max) {
              cb.checked = false;
              toast(`You can select at most ${opts.select.max} ${opts.select.noun || 'rows'} at a time.`, 'error');
              return;
            }
            selected.set(key, item);
          } else {
            selected.delete(key);
          }
          tr.classList.toggle('selected', cb.checked);
          opts.select.onChange?.([...selected.values()]);
        });
        tr.append(h('td.sel', cb));
      }
      for (const c of columns) {
        const v = c.render(item);
        tr.append(h('td', { class: c.className, 'data-label': c.label }, v));
      }
      frag.append(tr);
    }
    tbody.append(frag);
  }

  return {
    el: wrap,
    table,
    addRows,
    clear() { clear(tbody); },
    clearSelection() {
      selected.clear();
      for (const cb of tbody.querySelectorAll('input.row-select')) cb.checked = false;
      for (const tr of tbody.querySelectorAll('tr.selected')) tr.classList.remove('selected');
      if (selectAll) selectAll.checked = false;
      opts.select?.onChange?.([]);
    },
    selected: () => [...selected.values()],
  };
}

/**
 * A paged list: loads the first page, then "Load more" (keyboard reachable)
 * appends the next. fetchPage(nextOrNull) -> {items, next, count}.
 */
export function pagedList(table, fetchPage, { empty, onItems } = {}) {
  const status = h('div.list-status', { 'aria-live': 'polite' });
  const more = h('button.more', { type: 'button' }, 'Load more');
  const foot = h('div.list-foot', status, more);
  let next = null;
  let shown = 0;
  more.hidden = true;
  async function load(first) {
    more.disabled = true;
    if (first) { table.clear(); shown = 0; clear(status).append(loading()); }
    try {
      const p = await fetchPage(first ? null : next);
      if (onItems) await onItems(p.items);
      table.addRows(p.items);
      shown += p.items.length;
      next = p.next;
      clear(status);
      if (!shown && first) status.append(empty || emptyState('Nothing to show', 'No items match these filters.'));
      else status.append(h('span.muted', p.count != null ? `${shown} of ${p.count}` : `${shown} shown${next ? '' : ' (all)'}`));
      more.hidden = !next;
    } catch (e) {
      clear(status).append(errorBox(e, 'Could not load the list'));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => load(false));
  return { el: foot, reload: () => load(true) };
}

/** Tabs as real links (so they are focusable and reloadable): [{label, href, current}]. */
export function tabs(items, label) {
  return h('nav.tabs', { 'aria-label': label },
    items.map((t) => h('a', { href: t.href, 'aria-current': t.current ? 'page' : null }, t.label)));
}

/** A <label> + control pair; `path` tags the wrapper for API error placement. */
export function field(label, control, { hint, path } = {}) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 8)}`;
  control.id = id;
  return h('div.field', { 'data-path': path },
    h('label', { for: id }, label), control, hint ? h('p.hint', hint) : null);
}

export function kv(rows) {
  return h('dl.kv', rows.filter(Boolean).map(([k, v]) => [h('dt', k), h('dd', v ?? '—')]));
}

/** Summary cards: [{label, value, tone}] (value undefined hides the card). */
export function cards(items, label) {
  return h('div.cards', { role: 'group', 'aria-label': label },
    items.filter((c) => c.value !== undefined).map((c) =>
      h(`div.card${c.tone ? `.${c.tone}` : ''}`, h('div.card-value', c.value === null ? '—' : String(c.value)), h('div.card-label', c.label))));
}

/** el.append(...children) that skips null/false and flattens arrays. */
export function add(el, ...children) {
  return append(el, children);
}
