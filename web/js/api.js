// SPDX-License-Identifier: MIT
// The one place that talks to lcwd: bearer token (kept in sessionStorage, for
// this browser tab only), Graph headers, error envelopes, paging.

const TOKEN_KEY = 'lcw.token';
export const LW = '/v1.0/identityGovernance/lifecycleWorkflows';

/** An API failure: `message` is the message the API returned. */
export class ApiError extends Error {
  constructor(status, code, message, requestId) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

let onUnauthorized = () => {};
/** Called with the ApiError when a request answers 401 (token revoked or wrong). */
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

function headers(extra = {}, tok = token.get()) {
  const h = {
    Accept: 'application/json',
    Prefer: 'include-unknown-enum-members',
    ...extra,
  };
  if (tok) h.Authorization = `Bearer ${tok}`;
  return h;
}

async function toError(res) {
  let code = `HTTP${res.status}`;
  let message = `${res.status} ${res.statusText}`;
  let requestId = res.headers.get('request-id');
  try {
    const j = await res.json();
    if (j && j.error) {
      code = j.error.code || code;
      message = j.error.message || message;
      requestId = j.error.innerError?.['request-id'] || requestId;
    }
  } catch { /* not JSON: keep the status line */ }
  return new ApiError(res.status, code, message, requestId);
}

/**
 * One request. `path` is "/v1.0/..." or an absolute URL of this origin (nextLink).
 * Resolves {status, json, headers}; rejects with ApiError.
 */
export async function call(method, path, { body, headers: extra, tok, raw = false } = {}) {
  const init = { method, headers: headers(extra, tok) };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'NetworkError', `lcwd could not be reached (${e.message})`);
  }
  if (!res.ok) {
    const err = await toError(res);
    if (res.status === 401 && !tok) onUnauthorized(err);
    throw err;
  }
  if (raw) return res;
  let json = null;
  if (res.status !== 204) {
    const text = await res.text();
    json = text ? JSON.parse(text) : null;
  }
  return { status: res.status, json, headers: res.headers };
}

export const get = async (path, opts) => (await call('GET', path, opts)).json;
export const post = (path, body, opts = {}) => call('POST', path, { ...opts, body });
export const patch = (path, body, opts = {}) => call('PATCH', path, { ...opts, body });
export const del = (path, opts) => call('DELETE', path, opts);

/** Build "path?$a=b&..." from an object, skipping empty values. */
export function q(path, params = {}) {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    parts.push(`${k}=${encodeURIComponent(v)}`);
  }
  return parts.length ? `${path}${path.includes('?') ? '&' : '?'}${parts.join('&')}` : path;
}

/** One page: {items, next, count}. `pathOrNext` is a first-page path or a nextLink. */
export async function page(pathOrNext, opts) {
  const j = await get(pathOrNext, opts);
  return { items: j.value || [], next: j['@odata.nextLink'] || null, count: j['@odata.count'] };
}

/** Every item, following nextLink, stopping after `max` items (then `truncated`). */
export async function all(path, { max = 5000, ...opts } = {}) {
  const items = [];
  let next = path;
  let truncated = false;
  while (next) {
    const p = await page(next, opts);
    items.push(...p.items);
    next = p.next;
    if (items.length >= max && next) { truncated = true; break; }
  }
  return Object.assign(items, { truncated });
}

/** Who the token is: {name, role, permissions}. */
export const whoami = (tok) => get('/v1.0/lcw/whoami', { tok });

// ------------------------------------------------------------- user names

const names = new Map(); // user id -> {displayName, userPrincipalName} | null

/** Resolve user ids to names (batched `id in (...)`), cached for the tab. */
export async function userNames(ids) {
  const want = [...new Set(ids.filter((id) => id && !names.has(id)))];
  for (let i = 0; i < want.length; i += 15) {
    const chunk = want.slice(i, i + 15);
    const filter = `id in (${chunk.map((id) => `'${id}'`).join(',')})`;
    try {
      const found = await all(q('/v1.0/users', { $filter: filter, $select: 'id,displayName,userPrincipalName,mail', $top: 50 }));
      for (const u of found) names.set(u.id, u);
    } catch { /* a reader without directory access still sees ids */ }
    for (const id of chunk) if (!names.has(id)) names.set(id, null);
  }
  return (id) => names.get(id) || null;
}

/** Users matching `text` (display name), for pickers. */
export async function searchUsers(text, top = 8) {
  const t = text.trim().replace(/"/g, '');
  const path = t
    ? q('/v1.0/users', { $search: `"displayName:${t}"`, $select: 'id,displayName,userPrincipalName,mail,department', $top: top })
    : q('/v1.0/users', { $select: 'id,displayName,userPrincipalName,mail,department', $top: top });
  const j = await get(path, { headers: { ConsistencyLevel: 'eventual' } });
  return j.value || [];
}

/**
 * A CSV export of a list route with the current filter: the API's own CSV
 * (Accept: text/csv) when it has one, else built here from the JSON pages.
 */
export async function downloadCsv(path, filename, columns) {
  const res = await call('GET', path, { headers: { Accept: 'text/csv' }, raw: true });
  let blob;
  if ((res.headers.get('content-type') || '').startsWith('text/csv')) {
    blob = await res.blob();
  } else {
    const first = await res.json();
    const items = [...(first.value || [])];
    let next = first['@odata.nextLink'];
    while (next && items.length < 100000) {
      const p = await page(next);
      items.push(...p.items);
      next = p.next;
    }
    blob = new Blob([toCsv(items, columns)], { type: 'text/csv' });
  }
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function pick(o, path) {
  return path.split('/').reduce((v, k) => (v == null ? v : v[k]), o);
}

export function toCsv(items, columns) {
  const cols = columns || [...new Set(items.flatMap((i) => Object.keys(i)))].filter((k) => !k.startsWith('@'));
  const cell = (v) => {
    if (v == null) return '';
    const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.join(','), ...items.map((i) => cols.map((c) => cell(pick(i, c))).join(','))].join('\r\n') + '\r\n';
}
