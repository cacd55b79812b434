// era-emu web inspector: one page, same-origin calls to the /_emu control routes only.
// The page's CSP allows no inline styles: everything visual is a class in app.css.
// Data from the emulator is always inserted as text (never as HTML): keys, values and metadata
// are whatever the tests wrote.
'use strict';

const $ = (sel) => document.querySelector(sel);
const main = $('#main');
const TOKEN_KEY = 'era-emu-token';
let viewToken = 0; // bumps on each navigation: stale async renders and polls stop

// ---------------------------------------------------------------- DOM helpers

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function show(...nodes) {
  main.replaceChildren(...nodes.flat());
}

function notify(message, bad = false) {
  const box = h('div', { class: bad ? 'bad' : '' }, message);
  $('#status').append(box);
  setTimeout(() => box.remove(), bad ? 8000 : 3000);
}

function bytes(n) {
  if (n === undefined || n === null) return '';
  if (n < 1024) return `${n} B`;
  const u = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = -1;
  while (v >= 1024 && i < u.length - 1) (v /= 1024), i++;
  return `${v.toFixed(v < 10 ? 1 : 0)} ${u[i]}`;
}

const enc = encodeURIComponent;
const encKey = (k) => k.split('/').map(enc).join('/');

function table(headers, rows, empty = 'Nothing here.') {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h('table', {}, h('thead', {}, h('tr', {}, headers.map((x) => h('th', { class: x.endsWith('#') ? 'num' : '' }, x.replace(/#$/, ''))))),
    h('tbody', {}, rows));
}

// ---------------------------------------------------------------- API

class ApiError extends Error {}

async function api(method, path, body, { raw = false } = {}) {
  const headers = {};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401) {
    await askToken();
    return api(method, path, body, { raw });
  }
  if (raw) {
    if (!res.ok) throw new ApiError(`${res.status} ${res.statusText}`);
    return res;
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: text };
  }
  if (!res.ok) throw new ApiError(data && data.error ? `${data.error}${data.code ? ` (${data.code})` : ''}` : `${res.status} ${res.statusText}`);
  return data;
}

let tokenAsk = null;
function askToken() {
  if (tokenAsk) return tokenAsk;
  const dialog = $('#token-dialog');
  tokenAsk = new Promise((resolve) => {
    $('#token-form').onsubmit = () => {
      sessionStorage.setItem(TOKEN_KEY, $('#token-input').value.trim());
      tokenAsk = null;
      resolve();
    };
    dialog.showModal();
    $('#token-input').focus();
  });
  return tokenAsk;
}

async function guarded(fn, okMessage) {
  try {
    const r = await fn();
    if (okMessage) notify(okMessage);
    return r;
  } catch (e) {
    notify(e.message, true);
    return undefined;
  }
}

// ---------------------------------------------------------------- clock

let clock = null; // {now_ms, mode}, refreshed every second

function fmtTime(ms) {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

function relative(ms) {
  if (!clock) return '';
  const d = ms - clock.now_ms;
  const a = Math.abs(d);
  const txt = a < 60e3 ? `${Math.round(a / 1e3)} s` : a < 3600e3 ? `${Math.round(a / 60e3)} min` : a < 86400e3 ? `${(a / 3600e3).toFixed(1)} h` : `${(a / 86400e3).toFixed(1)} d`;
  return d >= 0 ? `in ${txt}` : `${txt} ago`;
}

async function refreshClock() {
  try {
    clock = await api('GET', '/_emu/time');
    $('#clock').replaceChildren(
      h('span', { class: clock.mode === 'frozen' ? 'frozen' : '' }, clock.mode === 'frozen' ? 'frozen ' : ''),
      fmtTime(clock.now_ms),
    );
  } catch {
    $('#clock').textContent = 'emulator unreachable';
  }
}

// ---------------------------------------------------------------- views

const routes = [
  [/^\/$/, overview],
  [/^\/kv$/, () => namespaces('kv')],
  [/^\/kv\/([^/]+)$/, kvKeys],
  [/^\/kv\/([^/]+)\/(.+)$/, kvValue],
  [/^\/r2$/, () => namespaces('r2')],
  [/^\/r2\/([^/]+)$/, r2Objects],
  [/^\/r2\/([^/]+)\/(.+)$/, r2Object],
  [/^\/d1$/, () => namespaces('d1')],
  [/^\/d1\/([^/]+)$/, d1Tables],
  [/^\/d1\/([^/]+)\/(.+)$/, d1Rows],
  [/^\/products$/, products],
  [/^\/clock$/, clockView],
  [/^\/faults$/, faults],
  [/^\/events$/, events],
  [/^\/snapshots$/, snapshots],
];

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = raw.split('?');
  return { path, params: new URLSearchParams(query) };
}

async function render() {
  const token = ++viewToken;
  const { path, params } = parseHash();
  for (const a of document.querySelectorAll('nav a')) {
    const target = a.getAttribute('href').slice(1);
    const current = target === '/' ? path === '/' : path === target || path.startsWith(`${target}/`);
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  for (const [re, view] of routes) {
    const m = re.exec(path);
    if (!m) continue;
    try {
      await view(...m.slice(1).map(decodeURIComponent), params, token);
    } catch (e) {
      if (token === viewToken) show(h('h2', {}, 'Error'), h('p', { class: 'badge bad' }, e.message));
    }
    return;
  }
  show(h('h2', {}, 'Not found'), h('p', {}, 'No such view. ', h('a', { href: '#/' }, 'Overview')));
}

async function overview() {
  const [sum, cfg, flt, snaps] = await Promise.all([api('GET', '/_emu/inspect'), api('GET', '/_emu/config').catch(() => null),
    api('GET', '/_emu/faults'), api('GET', '/_emu/snapshots')]);
  const card = (title, n, sub, href) => h('a', { class: 'card', href },
    h('div', { class: 'muted' }, title), h('div', { class: 'big' }, n), h('div', { class: 'muted' }, sub));
  const total = (list, f) => list.reduce((a, x) => a + (x[f] || 0), 0);
  show(
    h('h2', {}, 'Overview'),
    h('div', { class: 'cards' },
      card('KV namespaces', sum.kv.length, `${total(sum.kv, 'keys')} keys · ${bytes(total(sum.kv, 'bytes'))}`, '#/kv'),
      card('R2 buckets', sum.r2.length, `${total(sum.r2, 'objects')} objects · ${bytes(total(sum.r2, 'bytes'))}`, '#/r2'),
      card('D1 databases', sum.d1.length, `${total(sum.d1, 'tables')} tables · ${bytes(total(sum.d1, 'bytes'))}`, '#/d1'),
      card('Declared products', cfg ? cfg.buckets.length + cfg.kv.length + cfg.d1.length : 0, cfg && cfg.strict ? 'strict' : 'not strict', '#/products'),
      card('Fault rules', flt.faults.length, `${total(flt.faults, 'fired')} fired`, '#/faults'),
      card('Snapshots', snaps.snapshots.length, '', '#/snapshots'),
    ),
  );
}

async function namespaces(service) {
  const sum = await api('GET', '/_emu/inspect');
  const list = sum[service];
  const title = { kv: 'KV namespaces', r2: 'R2 buckets', d1: 'D1 databases' }[service];
  const cols = { kv: ['Namespace', 'Keys#', 'Size#', 'Declared'], r2: ['Bucket', 'Objects#', 'Size#', 'Uploads#', 'Declared'], d1: ['Database', 'Tables#', 'Size#', 'Declared'] }[service];
  const rows = list.map((x) => h('tr', {},
    h('td', {}, h('a', { href: `#/${service}/${enc(x.name)}` }, x.name)),
    h('td', { class: 'num' }, service === 'kv' ? x.keys : service === 'r2' ? x.objects : x.tables),
    h('td', { class: 'num' }, bytes(x.bytes)),
    service === 'r2' ? h('td', { class: 'num' }, x.uploads) : null,
    h('td', {}, x.declared ? h('span', { class: 'badge' }, 'declared') : '')));
  show(h('h2', {}, title), table(cols, rows, 'Nothing stored yet.'));
}

function resetButton(service, ns) {
  return h('button', {
    class: 'danger',
    onclick: async () => {
      if (!confirm(`Empty ${service} ${ns}?`)) return;
      await guarded(() => api('POST', '/_emu/reset', { service, namespace: ns }), `${ns} emptied`);
      render();
    },
  }, `Reset ${ns}`);
}

async function kvKeys(ns, params, token) {
  const prefix = params.get('prefix') || '';
  const cursor = params.get('cursor') || '';
  const loc = params.get('location') || '';
  const q = new URLSearchParams({ limit: '100', prefix, cursor });
  if (loc) q.set('location', loc);
  const page = await api('GET', `/_emu/inspect/kv/${enc(ns)}?${q}`);
  if (token !== viewToken) return;
  const go = (p) => {
    const next = new URLSearchParams({ prefix: p.prefix ?? prefix, location: p.location ?? loc });
    if (p.cursor) next.set('cursor', p.cursor);
    location.hash = `#/kv/${enc(ns)}?${next}`;
  };
  const rows = page.keys.map((k) => h('tr', {},
    h('td', {}, h('a', { href: `#/kv/${enc(ns)}/${enc(k.name)}${loc ? `?location=${enc(loc)}` : ''}` }, h('code', {}, k.name))),
    h('td', { class: 'num' }, bytes(k.size)),
    h('td', {}, k.expiration ? h('span', { title: fmtTime(k.expiration * 1000) }, relative(k.expiration * 1000)) : h('span', { class: 'muted' }, 'never')),
    h('td', {}, k.metadata === null ? '' : h('code', {}, JSON.stringify(k.metadata))),
    h('td', {}, k.updated)));
  const form = h('form', { class: 'inline', onsubmit: (e) => (e.preventDefault(), go({ prefix: form.prefix.value, location: form.loc.value })) },
    h('label', {}, 'Key prefix', h('input', { name: 'prefix', value: prefix })),
    h('label', {}, 'Seen from location', h('input', { name: 'loc', value: loc, placeholder: 'local' })),
    h('button', { type: 'submit' }, 'Filter'));
  show(
    h('div', { class: 'crumbs' }, h('a', { href: '#/kv' }, 'KV'), ' / ', ns),
    h('h2', {}, `Namespace ${ns}`),
    form,
    table(['Key', 'Size#', 'Expires', 'Metadata', 'Updated'], rows, 'No keys.'),
    h('div', { class: 'toolbar' },
      cursor ? h('button', { class: 'secondary', onclick: () => go({ cursor: '' }) }, 'First page') : null,
      page.cursor ? h('button', { onclick: () => go({ cursor: page.cursor }) }, 'Next page') : null,
      resetButton('kv', ns)),
    h('h3', {}, 'Add or replace a key'),
    kvEditor(ns, '', null),
  );
}

function kvEditor(ns, key, entry) {
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      let metadata = null;
      if (form.meta.value.trim()) {
        try {
          metadata = JSON.parse(form.meta.value);
        } catch {
          return notify('Metadata must be JSON', true);
        }
      }
      const exp = form.exp.value.trim() ? Math.floor(Date.parse(form.exp.value) / 1000) : null;
      if (form.exp.value.trim() && !Number.isFinite(exp)) return notify('Expiration must be a date (ISO 8601)', true);
      const name = form.key.value;
      const done = await guarded(() => api('PUT', `/_emu/inspect/kv/${enc(ns)}/${enc(name)}`, { value: form.value.value, metadata, expiration: exp }), `saved ${name}`);
      if (done) location.hash = `#/kv/${enc(ns)}/${enc(name)}`;
    },
  },
  h('label', {}, 'Key', h('input', { name: 'key', value: key, required: true, readonly: key ? true : null })),
  h('label', {}, 'Value', h('textarea', { name: 'value' }, entry ? entry.value : '')),
  h('label', {}, 'Metadata (JSON, optional)', h('textarea', { name: 'meta', rows: 2 }, entry && entry.metadata !== null ? JSON.stringify(entry.metadata) : '')),
  h('label', {}, 'Expires at (ISO 8601, optional)', h('input', { name: 'exp', value: entry && entry.expiration ? new Date(entry.expiration * 1000).toISOString() : '' })),
  h('div', { class: 'toolbar' }, h('button', { type: 'submit' }, 'Save')));
  return form;
}

function hexdump(text) {
  const b = new TextEncoder().encode(text);
  const out = [];
  for (let i = 0; i < b.length && i < 4096; i += 16) {
    const row = Array.from(b.slice(i, i + 16));
    out.push(`${i.toString(16).padStart(6, '0')}  ${row.map((x) => x.toString(16).padStart(2, '0')).join(' ').padEnd(48)}  ${row.map((x) => (x >= 32 && x < 127 ? String.fromCharCode(x) : '.')).join('')}`);
  }
  return out.join('\n');
}

async function kvValue(ns, key, params) {
  const loc = params.get('location') || '';
  const mode = params.get('view') || 'text';
  let entry = null;
  try {
    entry = await api('GET', `/_emu/inspect/kv/${enc(ns)}/${encKey(key)}${loc ? `?location=${enc(loc)}` : ''}`);
  } catch (e) {
    if (!/does not exist|NOT_FOUND/.test(e.message)) throw e;
  }
  const modes = ['text', 'json', 'hex'].map((m) => h('a', { href: `#/kv/${enc(ns)}/${enc(key)}?view=${m}${loc ? `&location=${enc(loc)}` : ''}`, 'aria-current': m === mode ? 'true' : null, class: 'mode' }, m));
  let body = null;
  if (entry) {
    let text = entry.value;
    if (mode === 'json') {
      try {
        text = JSON.stringify(JSON.parse(entry.value), null, 2);
      } catch {
        text = '(not JSON)\n' + entry.value;
      }
    } else if (mode === 'hex') text = hexdump(entry.value);
    body = [
      h('div', {}, 'View as: ', modes),
      h('pre', { id: 'kv-value' }, text),
      h('table', {}, h('tbody', {},
        h('tr', {}, h('th', {}, 'Size'), h('td', {}, bytes(entry.size))),
        h('tr', {}, h('th', {}, 'Expires'), h('td', {}, entry.expiration ? `${fmtTime(entry.expiration * 1000)} (${relative(entry.expiration * 1000)})` : 'never')),
        h('tr', {}, h('th', {}, 'Metadata'), h('td', {}, h('code', {}, JSON.stringify(entry.metadata)))),
        h('tr', {}, h('th', {}, 'Updated'), h('td', {}, entry.updated)))),
      h('div', { class: 'toolbar' }, h('button', {
        class: 'danger',
        onclick: async () => {
          if (!confirm(`Delete ${key}?`)) return;
          if (await guarded(() => api('DELETE', `/_emu/inspect/kv/${enc(ns)}/${enc(key)}`), `deleted ${key}`) !== undefined) location.hash = `#/kv/${enc(ns)}`;
        },
      }, 'Delete key')),
      h('h3', {}, 'Edit'),
      kvEditor(ns, key, entry),
    ];
  } else {
    body = h('p', { class: 'badge bad' }, loc ? `Not visible from location ${loc} (missing, expired, or not propagated there yet)` : 'Missing or expired');
  }
  show(
    h('div', { class: 'crumbs' }, h('a', { href: '#/kv' }, 'KV'), ' / ', h('a', { href: `#/kv/${enc(ns)}` }, ns), ' / ', key),
    h('h2', {}, h('code', {}, key)),
    h('form', { class: 'inline', onsubmit: (e) => (e.preventDefault(), (location.hash = `#/kv/${enc(ns)}/${enc(key)}?location=${enc(e.target.loc.value)}`)) },
      h('label', {}, 'Seen from location', h('input', { name: 'loc', value: loc, placeholder: 'local' })), h('button', { type: 'submit' }, 'Look')),
    body,
  );
}

async function r2Objects(bucket, params, token) {
  const prefix = params.get('prefix') || '';
  const cursor = params.get('cursor') || '';
  const q = new URLSearchParams({ limit: '100', prefix, delimiter: '/', cursor });
  const page = await api('GET', `/_emu/inspect/r2/${enc(bucket)}?${q}`);
  if (token !== viewToken) return;
  const to = (p, c = '') => `#/r2/${enc(bucket)}?${new URLSearchParams(c ? { prefix: p, cursor: c } : { prefix: p })}`;
  const parts = prefix.split('/').filter(Boolean);
  const crumbs = [h('a', { href: '#/r2' }, 'R2'), ' / ', h('a', { href: to('') }, bucket)];
  parts.forEach((p, i) => crumbs.push(' / ', h('a', { href: to(`${parts.slice(0, i + 1).join('/')}/`) }, p)));
  const rows = [
    ...page.delimitedPrefixes.map((p) => h('tr', {}, h('td', {}, h('a', { href: to(p) }, `📁 ${p.slice(prefix.length)}`)), h('td'), h('td'), h('td'), h('td'))),
    ...page.objects.map((o) => h('tr', {},
      h('td', {}, h('a', { href: `#/r2/${enc(bucket)}/${enc(o.key)}` }, h('code', {}, o.key.slice(prefix.length)))),
      h('td', { class: 'num' }, bytes(o.size)),
      h('td', {}, o.contentType || ''),
      h('td', {}, h('code', {}, o.etag)),
      h('td', {}, o.uploaded))),
  ];
  show(
    h('div', { class: 'crumbs' }, crumbs),
    h('h2', {}, `Bucket ${bucket}`),
    table(['Key', 'Size#', 'Type', 'ETag', 'Uploaded'], rows, 'No objects here.'),
    h('div', { class: 'toolbar' },
      cursor ? h('button', { class: 'secondary', onclick: () => (location.hash = to(prefix)) }, 'First page') : null,
      page.cursor ? h('button', { onclick: () => (location.hash = to(prefix, page.cursor)) }, 'Next page') : null,
      resetButton('r2', bucket)),
    h('h3', {}, 'Upload or replace an object'),
    r2Uploader(bucket, prefix),
    h('h3', {}, 'Multipart uploads in progress'),
    table(['Key', 'Upload ID', 'Initiated'], page.uploads.map((u) => h('tr', {}, h('td', {}, h('code', {}, u.key)), h('td', {}, h('code', {}, u.uploadId)), h('td', {}, u.initiated))), 'None.'),
  );
}

// An upload goes through the binary R2 route like any client's (so fault rules and events apply).
function r2Uploader(bucket, prefix, fixedKey) {
  const form = h('form', {
    class: 'inline',
    onsubmit: async (e) => {
      e.preventDefault();
      const file = form.file.files[0];
      if (!file) return notify('Choose a file', true);
      const key = fixedKey || form.key.value.trim() || `${prefix}${file.name}`;
      const headers = { 'content-type': file.type || 'application/octet-stream' };
      const token = sessionStorage.getItem(TOKEN_KEY);
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await fetch(`/api/r2/${enc(bucket)}/${encKey(key)}`, { method: 'PUT', headers, body: file });
      if (!res.ok) return notify(`upload failed: ${res.status} ${await res.text()}`, true);
      notify(`uploaded ${key}`);
      location.hash = `#/r2/${enc(bucket)}/${enc(key)}`;
      render();
    },
  },
  h('label', {}, 'File', h('input', { type: 'file', name: 'file', required: true })),
  fixedKey ? null : h('label', {}, 'Key (default: folder + file name)', h('input', { name: 'key', placeholder: `${prefix}name.ext`, size: 30 })),
  h('button', { type: 'submit' }, fixedKey ? 'Replace' : 'Upload'));
  return form;
}

async function r2Object(bucket, key) {
  const o = await api('GET', `/_emu/inspect/r2/${enc(bucket)}/${encKey(key)}`);
  const rawUrl = `/_emu/inspect/r2/${enc(bucket)}/${encKey(key)}?raw=1`;
  const preview = h('div', { class: 'preview' });
  const type = o.contentType || '';
  const meta = (obj) => h('code', {}, JSON.stringify(obj));
  show(
    h('div', { class: 'crumbs' }, h('a', { href: '#/r2' }, 'R2'), ' / ', h('a', { href: `#/r2/${enc(bucket)}` }, bucket), ' / ', key),
    h('h2', {}, h('code', {}, key)),
    h('table', {}, h('tbody', {},
      h('tr', {}, h('th', {}, 'Size'), h('td', {}, bytes(o.size))),
      h('tr', {}, h('th', {}, 'ETag'), h('td', {}, h('code', {}, o.etag))),
      h('tr', {}, h('th', {}, 'Uploaded'), h('td', {}, o.uploaded)),
      h('tr', {}, h('th', {}, 'HTTP metadata'), h('td', {}, meta(o.httpMetadata))),
      h('tr', {}, h('th', {}, 'Custom metadata'), h('td', {}, meta(o.customMetadata))),
      h('tr', {}, h('th', {}, 'Checksums'), h('td', {}, meta(o.checksums))))),
    h('div', { class: 'toolbar' },
      h('button', { onclick: () => download(rawUrl, key) }, 'Download'),
      h('button', {
        class: 'danger',
        onclick: async () => {
          if (!confirm(`Delete ${key}?`)) return;
          if (await guarded(() => api('DELETE', `/_emu/inspect/r2/${enc(bucket)}/${enc(key)}`), `deleted ${key}`) !== undefined) location.hash = `#/r2/${enc(bucket)}`;
        },
      }, 'Delete object')),
    h('h3', {}, 'Replace with a file'),
    r2Uploader(bucket, '', key),
    h('h3', {}, 'Preview'),
    preview,
  );
  if (o.size > 8 * 1024 * 1024) return preview.append(h('p', { class: 'muted' }, 'Too large to preview; download it.'));
  if (type.startsWith('image/')) {
    const blob = await (await api('GET', rawUrl, undefined, { raw: true })).blob();
    preview.append(h('img', { src: URL.createObjectURL(blob), alt: `Preview of ${key}` }));
  } else if (type.startsWith('text/') || /json|xml|javascript|csv/.test(type) || !type) {
    const text = await (await api('GET', rawUrl, undefined, { raw: true })).text();
    preview.append(h('pre', {}, text.slice(0, 200000)));
  } else {
    preview.append(h('p', { class: 'muted' }, `No preview for ${type}.`));
  }
}

async function download(url, key) {
  const res = await guarded(() => api('GET', url, undefined, { raw: true }));
  if (!res) return;
  const a = h('a', { href: URL.createObjectURL(await res.blob()), download: key.split('/').pop() || 'object' });
  document.body.append(a);
  a.click();
  a.remove();
}

async function d1Tables(db) {
  const info = await api('GET', `/_emu/inspect/d1/${enc(db)}`);
  const out = h('div');
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      const write = form.write.checked;
      const sql = form.sql.value;
      const r = await guarded(() => (write ? api('POST', `/api/storage/d1/${enc(db)}/query?resultsFormat=ROWS_AND_COLUMNS`, { sql })
        : api('POST', `/_emu/inspect/d1/${enc(db)}/query`, { sql })));
      if (!r) return;
      const columns = write ? r.results.columns : r.columns;
      const rows = write ? r.results.rows : r.results.map((row) => Object.values(row));
      out.replaceChildren(h('p', { class: 'muted' }, `${rows.length} row(s)`),
        table(columns, rows.map((row) => h('tr', {}, row.map((v) => h('td', {}, h('code', {}, v === null ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : v)))))));
      if (write) d1Tables(db).catch(() => {});
    },
  },
  h('label', {}, 'SQL', h('textarea', { name: 'sql', rows: 3 }, 'SELECT name FROM sqlite_master WHERE type = \'table\'')),
  h('div', { class: 'toolbar' },
    h('label', { class: 'inline-check' }, h('input', { type: 'checkbox', name: 'write' }), 'allow writes (runs as a D1 query: events and fault rules apply)'),
    h('button', { type: 'submit' }, 'Run')));
  show(
    h('div', { class: 'crumbs' }, h('a', { href: '#/d1' }, 'D1'), ' / ', db),
    h('h2', {}, `Database ${db}`),
    table(['Table', 'Rows#', 'Columns'], info.tables.map((t) => h('tr', {},
      h('td', {}, h('a', { href: `#/d1/${enc(db)}/${enc(t.name)}` }, t.name)),
      h('td', { class: 'num' }, t.rows ?? ''),
      h('td', {}, h('code', {}, t.columns.map((c) => `${c.name} ${c.type}`.trim()).join(', '))))), 'No tables.'),
    h('div', { class: 'toolbar' }, resetButton('d1', db)),
    h('h3', {}, 'SQL console'),
    form,
    out,
  );
}

async function d1Rows(db, tableName, params) {
  const limit = 50;
  const offset = Number(params.get('offset') || 0);
  const page = await api('GET', `/_emu/inspect/d1/${enc(db)}/${enc(tableName)}?limit=${limit}&offset=${offset}`);
  const cols = page.columns.map((c) => (typeof c === 'string' ? c : c.name));
  const to = (o) => `#/d1/${enc(db)}/${enc(tableName)}?offset=${o}`;
  show(
    h('div', { class: 'crumbs' }, h('a', { href: '#/d1' }, 'D1'), ' / ', h('a', { href: `#/d1/${enc(db)}` }, db), ' / ', tableName),
    h('h2', {}, `Table ${tableName}`),
    h('p', { class: 'muted' }, `Rows ${page.total ? offset + 1 : 0}–${Math.min(offset + limit, page.total)} of ${page.total}`),
    table(cols, page.rows.map((r) => h('tr', {}, cols.map((c) => h('td', {}, h('code', {}, r[c] === null ? 'NULL' : typeof r[c] === 'object' ? JSON.stringify(r[c]) : r[c])))))),
    h('div', { class: 'toolbar' },
      offset > 0 ? h('button', { class: 'secondary', onclick: () => (location.hash = to(Math.max(0, offset - limit))) }, 'Previous') : null,
      offset + limit < page.total ? h('button', { onclick: () => (location.hash = to(offset + limit)) }, 'Next') : null),
  );
}

async function products() {
  const c = await api('GET', '/_emu/config');
  const opt = (v) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  show(
    h('h2', {}, 'Declared products'),
    h('p', { class: 'muted' }, c.source ? `From ${c.source}${c.wrangler && c.wrangler !== c.source ? ` (bindings from ${c.wrangler})` : ''}` : 'No config file; run-time declarations only.', c.strict ? ' · strict: undeclared names are 404' : ''),
    h('h3', {}, 'Buckets'),
    table(['Name', 'Identity', 'Access', 'Delete after (days)', 'Max object', 'Encryption', 'CORS rules#'], c.buckets.map((b) => h('tr', {},
      h('td', {}, h('a', { href: `#/r2/${enc(b.name)}` }, b.name)), h('td', {}, b.identity), h('td', {}, b.access), h('td', {}, opt(b.deleteAfterDays)),
      h('td', {}, b.maxObjectSize ? bytes(b.maxObjectSize) : ''), h('td', {}, b.encryption ? h('span', { class: 'badge' }, 'encrypted') : ''), h('td', { class: 'num' }, b.cors.length)))),
    h('h3', {}, 'KV stores'),
    table(['Name', 'Identity', 'Default TTL (s)', 'Propagation (ms)', 'Encryption'], c.kv.map((k) => h('tr', {},
      h('td', {}, h('a', { href: `#/kv/${enc(k.name)}` }, k.name)), h('td', {}, k.identity), h('td', {}, opt(k.ttlSeconds)), h('td', {}, opt(k.propagationDelayMs)),
      h('td', {}, k.encryption ? h('span', { class: 'badge' }, 'encrypted') : '')))),
    h('h3', {}, 'D1 databases'),
    table(['Name', 'Identity', 'Migrations'], c.d1.map((d) => h('tr', {},
      h('td', {}, h('a', { href: `#/d1/${enc(d.name)}` }, d.name)), h('td', {}, d.identity), h('td', {}, h('code', {}, opt(d.migrations)))))),
    h('p', { class: 'muted' }, 'Secrets are never shown: encryption keys appear only as "encrypted".'),
  );
}

async function clockView() {
  await refreshClock();
  const post = (body, msg) => guarded(() => api('POST', '/_emu/time', body), msg).then(() => (refreshClock(), clockView()));
  const adv = h('form', { class: 'inline', onsubmit: (e) => (e.preventDefault(), post({ advance: e.target.by.value.trim() }, `advanced ${e.target.by.value}`)) },
    h('label', {}, 'Advance by (e.g. 90s, 5m, 2h, 1d)', h('input', { name: 'by', value: '1h', required: true })), h('button', { type: 'submit' }, 'Advance'));
  const set = h('form', { class: 'inline', onsubmit: (e) => (e.preventDefault(), post({ set: e.target.at.value.trim() }, 'clock set')) },
    h('label', {}, 'Set to (ISO 8601)', h('input', { name: 'at', value: clock ? new Date(clock.now_ms).toISOString() : '', required: true })), h('button', { type: 'submit' }, 'Set'));
  show(
    h('h2', {}, 'Virtual clock'),
    h('p', {}, clock ? `${fmtTime(clock.now_ms)} — ${clock.mode}` : ''),
    h('div', { class: 'toolbar' },
      h('button', { onclick: () => post({ freeze: true }, 'frozen') }, 'Freeze'),
      h('button', { class: 'secondary', onclick: () => post({ resume: true }, 'running') }, 'Resume'),
      h('button', { class: 'secondary', onclick: () => post({ reset: true }, 'clock back to real time') }, 'Back to real time')),
    adv, set,
    h('p', { class: 'muted' }, 'TTLs, lifecycle rules, signed-URL expiry and D1 datetime(\'now\') all follow this clock.'),
  );
}

async function faults() {
  const list = await api('GET', '/_emu/faults');
  const rows = list.faults.map((f) => h('tr', {},
    h('td', {}, f.id), h('td', {}, `${f.service} ${f.op}`), h('td', {}, h('code', {}, `${f.namespace} / ${f.key}`)),
    h('td', {}, h('code', {}, JSON.stringify(f.action || f.sequence))),
    h('td', { class: 'num' }, f.matched), h('td', { class: 'num' }, f.fired), h('td', { class: 'num' }, f.remaining ?? '∞'),
    h('td', {}, h('button', { class: 'secondary', 'aria-label': `Delete rule ${f.id}`, onclick: async () => (await guarded(() => api('DELETE', `/_emu/faults/${enc(f.id)}`), `rule ${f.id} deleted`), faults()) }, 'Delete'))));
  const form = h('form', {
    class: 'inline',
    onsubmit: async (e) => {
      e.preventDefault();
      const v = (n) => form[n].value.trim();
      const action = { type: v('type') };
      if (v('status')) action.status = Number(v('status'));
      if (v('type') === 'latency') action.ms = Number(v('ms') || 500);
      const rule = { service: v('service'), op: v('op') || '*', namespace: v('ns') || '*', key: v('key') || '*', action };
      if (v('times')) rule.times = Number(v('times'));
      if (v('probability')) rule.probability = Number(v('probability'));
      await guarded(() => api('POST', '/_emu/faults', rule), 'rule added');
      faults();
    },
  },
  h('label', {}, 'Service', h('select', { name: 'service' }, ['kv', 'r2', 'd1', 'resources'].map((s) => h('option', {}, s)))),
  h('label', {}, 'Op (* = any)', h('input', { name: 'op', value: '*', size: 10 })),
  h('label', {}, 'Namespace', h('input', { name: 'ns', value: '*', size: 12 })),
  h('label', {}, 'Key pattern', h('input', { name: 'key', value: '*', size: 12 })),
  h('label', {}, 'Action', h('select', { name: 'type' }, ['error', 'throttle', 'latency', 'timeout', 'reset', 'truncate', 'stale', 'lost_ack'].map((s) => h('option', {}, s)))),
  h('label', {}, 'Status', h('input', { name: 'status', size: 5, placeholder: '503' })),
  h('label', {}, 'Latency ms', h('input', { name: 'ms', size: 6, placeholder: '500' })),
  h('label', {}, 'Times', h('input', { name: 'times', size: 5, placeholder: '∞' })),
  h('label', {}, 'Probability', h('input', { name: 'probability', size: 5, placeholder: '1' })),
  h('button', { type: 'submit' }, 'Add rule'));
  show(h('h2', {}, 'Fault rules'),
    table(['ID', 'Call', 'Namespace / key', 'Action', 'Matched#', 'Fired#', 'Remaining#', ''], rows, 'No fault rules.'),
    h('div', { class: 'toolbar' }, h('button', { class: 'danger', onclick: async () => (await guarded(() => api('DELETE', '/_emu/faults'), 'all rules cleared'), faults()) }, 'Clear all')),
    h('h3', {}, 'Add a rule'), form);
}

const COLORS = { kv: '#0b7', r2: '#d80', d1: '#36f', other: '#999' };

// One line per service over the window: `field` is "count" (requests per second) or "avg_ms"
// (mean latency of that second's calls).
function drawChart(canvas, stats, field, unit) {
  const ctx = canvas.getContext('2d');
  const w = (canvas.width = canvas.clientWidth * devicePixelRatio);
  const hgt = (canvas.height = canvas.clientHeight * devicePixelRatio);
  ctx.clearRect(0, 0, w, hgt);
  const services = Object.keys(stats.services);
  const max = Math.max(field === 'count' ? 1 : 0.01, ...services.flatMap((s) => stats.services[s][field]));
  const n = stats.seconds;
  for (const s of services) {
    ctx.strokeStyle = COLORS[s] || '#999';
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.beginPath();
    stats.services[s][field].forEach((c, i) => {
      const x = (i / Math.max(1, n - 1)) * w;
      const y = hgt - (c / max) * (hgt - 10) - 4;
      if (i) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
    });
    ctx.stroke();
  }
  ctx.fillStyle = getComputedStyle(document.body).color;
  ctx.font = `${11 * devicePixelRatio}px sans-serif`;
  ctx.fillText(`${field === 'count' ? max : max.toFixed(2)} ${unit}`, 4, 12 * devicePixelRatio);
}

async function events(params, token) {
  const filters = { service: params.get('service') || '', op: params.get('op') || '', namespace: params.get('namespace') || '', status: params.get('status') || '' };
  const body = h('tbody');
  const canvas = h('canvas', { class: 'chart', role: 'img', 'aria-label': 'Requests per second by service over the last two minutes' });
  const latency = h('canvas', { class: 'chart', role: 'img', 'aria-label': 'Mean latency in milliseconds by service over the last two minutes' });
  const legend = h('div', { class: 'legend' });
  const form = h('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); const q = new URLSearchParams(); for (const k of Object.keys(filters)) if (form[k].value) q.set(k, form[k].value); location.hash = `#/events?${q}`; } },
    h('label', {}, 'Service', h('select', { name: 'service' }, ['', 'kv', 'r2', 'd1', 'control', 'resources'].map((s) => h('option', { value: s, selected: s === filters.service }, s || 'any')))),
    h('label', {}, 'Op', h('input', { name: 'op', value: filters.op, size: 10 })),
    h('label', {}, 'Namespace', h('input', { name: 'namespace', value: filters.namespace, size: 12 })),
    h('label', {}, 'Status', h('select', { name: 'status' }, [['', 'any'], ['ok', '2xx/3xx'], ['error', '4xx/5xx'], ['fault', 'fault fired']].map(([v, t]) => h('option', { value: v, selected: v === filters.status }, t)))),
    h('button', { type: 'submit' }, 'Filter'));
  show(h('h2', {}, 'Events'),
    h('h3', {}, 'Requests per second and mean latency (last 2 minutes)'), canvas, latency, legend,
    form,
    h('p', { class: 'muted', id: 'events-state' }, 'Live: new calls appear at the top. Rows where a fault fired are highlighted.'),
    h('table', {}, h('thead', {}, h('tr', {}, ['#', 'Time (virtual)', 'Service', 'Op', 'Namespace / key', 'Status', 'ms', 'Fault'].map((x) => h('th', {}, x)))), body));

  const keep = (e) => {
    if (filters.status === 'ok' && e.status >= 400) return false;
    if (filters.status === 'error' && e.status < 400) return false;
    if (filters.status === 'fault' && !e.fault) return false;
    return true;
  };
  const add = (list) => {
    for (const e of list) {
      if (!keep(e)) continue;
      body.prepend(h('tr', { class: [e.fault ? 'fault' : '', e.status >= 400 || e.status === 0 ? 'error' : ''].join(' ').trim() },
        h('td', {}, e.seq), h('td', {}, e.time), h('td', {}, e.service), h('td', {}, e.op),
        h('td', {}, h('code', {}, e.namespace ? `${e.namespace} / ${e.key}` : e.key)), h('td', {}, e.status),
        h('td', { class: 'num' }, e.duration_ms.toFixed(2)), h('td', {}, e.fault ? h('span', { class: 'badge bad' }, `${e.fault} ${e.fault_type || ''}`) : '')));
    }
    while (body.children.length > 500) body.lastChild.remove();
  };
  const q = (since, wait) => {
    const p = new URLSearchParams({ since: String(since), limit: '500' });
    for (const k of ['service', 'op', 'namespace']) if (filters[k]) p.set(k, filters[k]);
    if (wait !== undefined) p.set('wait_ms', String(wait));
    return p;
  };
  // The last 200 matching events, then a long-poll for more while this view is open.
  const first = await api('GET', `/_emu/events?${q(0)}`);
  if (token !== viewToken) return;
  add(first.events.slice(-200));
  let since = first.next;
  (async () => {
    while (token === viewToken) {
      try {
        const page = await api('GET', `/_emu/events/live?${q(since, 15000)}`);
        if (token !== viewToken) return;
        add(page.events);
        since = page.next;
      } catch {
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  })();
  (async () => {
    while (token === viewToken) {
      try {
        const stats = await api('GET', '/_emu/stats?seconds=120');
        if (token !== viewToken) return;
        drawChart(canvas, stats, 'count', 'req/s');
        drawChart(latency, stats, 'avg_ms', 'ms');
        legend.replaceChildren(...Object.entries(stats.services).map(([s, v]) => {
          const calls = v.count.reduce((a, b) => a + b, 0);
          const avg = calls ? v.avg_ms.reduce((a, x, i) => a + x * v.count[i], 0) / calls : 0;
          return h('span', {}, h('i', { class: `swatch-${s}` }), `${s}: ${calls} calls, avg ${avg.toFixed(2)} ms`);
        }));
      } catch {
        /* the next round tries again */
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  })();
}

async function snapshots() {
  const list = await api('GET', '/_emu/snapshots');
  const rows = list.snapshots.map((s) => h('tr', {},
    h('td', {}, s.name), h('td', {}, s.created), h('td', { class: 'num' }, bytes(s.bytes)),
    h('td', {},
      h('button', { onclick: async () => (await guarded(() => api('POST', `/_emu/snapshots/${enc(s.name)}/restore`), `restored ${s.name}`), snapshots()) }, 'Restore'), ' ',
      h('button', { class: 'secondary', onclick: async () => (await guarded(() => api('DELETE', `/_emu/snapshots/${enc(s.name)}`), `deleted ${s.name}`), snapshots()) }, 'Delete'))));
  const create = h('form', { class: 'inline', onsubmit: async (e) => { e.preventDefault(); await guarded(() => api('POST', '/_emu/snapshots', { name: e.target.name.value.trim() }), 'snapshot saved'); snapshots(); } },
    h('label', {}, 'Snapshot name', h('input', { name: 'name', required: true, pattern: '[A-Za-z0-9_\\-]{1,63}' })), h('button', { type: 'submit' }, 'Save snapshot'));
  const reset = h('form', { class: 'inline', onsubmit: async (e) => {
    e.preventDefault();
    const service = e.target.service.value;
    const namespace = e.target.ns.value.trim();
    if (!confirm(`Reset ${service || 'everything'}${namespace ? ` ${namespace}` : ''}?`)) return;
    const body = {};
    if (service) body.service = service;
    if (namespace) body.namespace = namespace;
    await guarded(() => api('POST', '/_emu/reset', body), 'reset done');
  } },
  h('label', {}, 'Service', h('select', { name: 'service' }, [['', 'everything'], ['kv', 'kv'], ['r2', 'r2'], ['d1', 'd1']].map(([v, t]) => h('option', { value: v }, t)))),
  h('label', {}, 'Namespace (optional)', h('input', { name: 'ns' })),
  h('button', { type: 'submit', class: 'danger' }, 'Reset'));
  show(h('h2', {}, 'Snapshots'), table(['Name', 'Created', 'Size#', ''], rows, 'No snapshots.'), create,
    h('h2', {}, 'Reset'), h('p', { class: 'muted' }, 'Empties storage; declarations, the clock and fault rules stay.'), reset);
}

// ---------------------------------------------------------------- start

window.addEventListener('hashchange', () => {
  render();
  main.focus();
});
refreshClock();
setInterval(refreshClock, 1000);
render();
