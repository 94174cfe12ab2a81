/** Server-rendered HTML of the demo app. Everything user-provided is escaped. */

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Per-response settings of a page: the Content-Security-Policy nonce (see `contentSecurityPolicy`
 * in app.ts) that its inline `<style>` and `<script>` carry.
 */
export interface PageContext {
  nonce: string;
  /** The user is an administrator: the nav links to the admin page. */
  admin?: boolean;
  /** The login page offers "Sign in with OpenID Connect" (`OIDC_*` set). */
  oidc?: boolean;
}

export interface PageOptions extends PageContext {
  title: string;
  username?: string;
  /** Extra markup at the end of `<body>` (scripts). */
  tail?: string;
}

export function layout(body: string, { title, username, tail = '', nonce, admin = false }: PageOptions): string {
  const nav = username
    ? `<nav><a href="/">Home</a> · <a href="/sessions">Where you're logged in</a> · <a href="/security">Security log</a> · <a href="/form">Long form</a> · <a href="/password">Change password</a>${
        admin ? ' · <a href="/admin/sessions">Everyone\'s sessions</a>' : ''
      }
       <form method="post" action="/logout" class="inline"><button type="submit">Log out ${escapeHtml(username)}</button></form></nav>`
    : '<nav><a href="/">Home</a></nav>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · sessionwatch demo</title>
<style nonce="${escapeHtml(nonce)}">
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1d232b; }
  nav { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; margin-bottom: 1.5rem; }
  form.inline { display: inline; margin-left: auto; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #dde1e6; }
  .current { font-weight: 600; color: #0a6b2d; }
  label { display: block; margin: .6rem 0 .2rem; }
  input, textarea, select { font: inherit; padding: .3rem; width: 100%; max-width: 30rem; box-sizing: border-box; }
  button { font: inherit; padding: .3rem .8rem; cursor: pointer; }
  .error { color: #a4001d; }
  .notice { padding: .5rem .75rem; background: #eef4ff; border-left: 4px solid #0b57d0; }
  label.check { display: flex; gap: .5rem; align-items: center; }
  label.check input { width: auto; }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  /* Narrow screens: a table scrolls sideways rather than pushing the page wider than the screen. */
  @media (max-width: 48rem) { table { display: block; overflow-x: auto; } }
</style></head>
<body>${nav}<main>${body}</main>${tail}</body></html>`;
}

/** Path of the browser client bundle served by the demo (built from example/client-entry.ts). */
export const CLIENT_SCRIPT_PATH = '/assets/sessionwatch.js';

/**
 * The `<script>` that loads the sessionwatch client on a logged-in page; `drafts` is the selector
 * of the forms kept across a logout (see example/client-entry.ts for the data attributes).
 */
export function clientScript({
  user,
  drafts,
  relogin,
  nonce,
}: { user: string; drafts?: string; relogin?: 'in-place' | 'navigate' } & PageContext): string {
  const draftAttr =
    (drafts === undefined ? '' : ` data-drafts="${escapeHtml(drafts)}"`) + (relogin === 'navigate' ? ' data-relogin="navigate"' : '');
  // The nonce also reaches the client, which gives it to its warning dialog's <style>.
  return `<script type="module" src="${CLIENT_SCRIPT_PATH}" nonce="${escapeHtml(nonce)}" data-sessionwatch data-user="${escapeHtml(user)}"${draftAttr}></script>`;
}

/** Why the login page is shown again (the `reason` the client adds when a session ends). */
const END_NOTICES: Record<string, string> = {
  expired:
    'Your session ended (after a period of inactivity, or at the end of its allowed time). Log in again to continue where you left off.',
  revoked: 'This session was ended from another device. Log in again to continue.',
  'logged-out': 'You are logged out.',
  lost: 'The server lost your session (it may have restarted). Log in again to continue.',
};

export function loginPage(page: PageContext, error?: string, next = '/', reason?: string): string {
  const notice = reason && Object.hasOwn(END_NOTICES, reason) ? END_NOTICES[reason] : undefined;
  return layout(
    `<h1>Log in</h1>
     ${notice && !error ? `<p class="notice" role="status">${escapeHtml(notice)}</p>` : ''}
     ${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
     <form method="post" action="/login">
       <input type="hidden" name="next" value="${escapeHtml(next)}">
       <label for="username">Username</label><input id="username" name="username" autocomplete="username" required autofocus>
       <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
       <p><label class="check"><input type="checkbox" name="remember" value="1"> Keep me signed in on this device</label></p>
       <p><button type="submit">Log in</button></p>
     </form>
     ${page.oidc ? `<p><a href="/auth/oidc/login?next=${encodeURIComponent(next)}">Sign in with OpenID Connect</a></p>` : ''}
     <p>Demo account: <code>johndoe</code> / <code>johndoe</code>.</p>`,
    { title: 'Log in', ...page },
  );
}

export function homePage(page: PageContext, username: string, tail?: string): string {
  return layout(
    `<h1>Hello, ${escapeHtml(username)}</h1>
     <p>This page is watched by sessionwatch: stay idle and a warning appears before you are logged out;
        activity in any tab keeps every tab alive.</p>`,
    { title: 'Home', username, tail, ...page },
  );
}

/**
 * Helpers of the pages' inline scripts: `esc` (HTML escape), `nv` ("name version" of a browser or
 * OS), `place` ("city, country" of a location, or the address).
 */
const SCRIPT_HELPERS = `const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]);
const nv = (p) => p.name ? esc(p.name) + (p.version ? ' ' + esc(p.version) : '') : 'Unknown';
const place = (l, ip) => l ? esc([l.city, l.country].filter(Boolean).join(', ')) : (ip ? esc(ip) : 'Unknown');`;

/** How long a sign-in from a new device stays announced on the sessions page. */
const NEW_SIGN_IN_NOTICE_DAYS = 7;

/**
 * The session list, rendered in the browser from `GET {prefix}/sessions`, with where each one
 * is, and a notice of recent sign-ins from a new device (from `GET {prefix}/history`).
 */
export function sessionsPage(page: PageContext, username: string, prefix: string, tail = ''): string {
  const script = `<script nonce="${escapeHtml(page.nonce)}">
const api = ${JSON.stringify(prefix)};
${SCRIPT_HELPERS}
async function notice(current, sessions) {
  const res = await fetch(api + '/history?limit=50', { headers: { accept: 'application/json' } });
  if (res.status !== 200) return;
  // Sign-ins from a new device since this one signed in (not older than a week), still signed in, not dismissed.
  const since = Math.max(Date.now() - ${NEW_SIGN_IN_NOTICE_DAYS} * 864e5, current ? Date.parse(current.createdAt) : 0);
  const live = new Set(sessions.map((s) => s.id));
  const dismissed = (sessionStorage.getItem('dismissed-sign-ins') || '').split(' ');
  const fresh = (await res.json()).events.filter((e) =>
    e.type === 'login' && e.newDevice && live.has(e.session) && (!current || e.session !== current.id) && Date.parse(e.at) > since && !dismissed.includes(e.id));
  const box = document.getElementById('new-sign-ins');
  box.hidden = fresh.length === 0;
  box.dataset.ids = fresh.map((e) => e.id).join(' ');
  document.getElementById('new-sign-in-list').innerHTML = fresh.map((e) =>
    '<li>' + nv(e.browser) + ' on ' + nv(e.os) + ' (' + esc(e.device) + '), ' + place(e.location, e.ip) + ', <time datetime="' + esc(e.at) + '">' +
    esc(new Date(e.at).toLocaleString()) + '</time></li>').join('');
}
async function load() {
  const sessions = [];
  let cursor = null;
  do {
    const query = cursor === null ? '' : '?cursor=' + encodeURIComponent(cursor);
    const res = await fetch(api + '/sessions' + query, { headers: { accept: 'application/json' } });
    if (res.status === 401) { location.href = '/?next=/sessions'; return; }
    const body = await res.json();
    sessions.push(...body.sessions);
    cursor = body.nextCursor;
  } while (cursor);
  document.getElementById('rows').innerHTML = sessions.map((s) =>
    '<tr data-id="' + esc(s.id) + '"><td>' + nv(s.browser) + '</td><td>' + nv(s.os) + '</td><td>' + esc(s.device) +
    '</td><td>' + (s.location ? place(s.location) : '') + '</td><td>' + (s.ip ? esc(s.ip) : 'Unknown') + '</td><td><time datetime="' + esc(s.lastActivity) + '">' + new Date(s.lastActivity).toLocaleString() +
    '</time></td><td>' + (s.current ? '<span class="current">This device</span>' :
    '<button data-revoke="' + esc(s.id) + '" aria-label="Revoke ' + nv(s.browser) + ' on ' + nv(s.os) + (s.location ? ', ' + place(s.location) : '') + '">Revoke</button>') + '</td></tr>').join('');
  document.getElementById('revoke-others').hidden = sessions.length < 2;
  const current = sessions.find((s) => s.current);
  await notice(current, sessions);
}
document.addEventListener('click', async (event) => {
  const id = event.target.dataset && event.target.dataset.revoke;
  if (id) { await fetch(api + '/sessions/' + encodeURIComponent(id), { method: 'DELETE' }); load(); }
  if (event.target.id === 'revoke-others') { await fetch(api + '/sessions', { method: 'DELETE' }); load(); }
  if (event.target.id === 'dismiss-sign-ins') {
    const box = document.getElementById('new-sign-ins');
    sessionStorage.setItem('dismissed-sign-ins', ((sessionStorage.getItem('dismissed-sign-ins') || '') + ' ' + box.dataset.ids).trim());
    box.hidden = true;
    document.querySelector('h1').focus();
  }
});
load();
</script>`;
  return layout(
    `<h1 tabindex="-1">Where you're logged in</h1>
     <div id="new-sign-ins" class="notice" role="status" hidden>
       <p><strong>New sign-in to your account</strong> from a device you had not used before:</p>
       <ul id="new-sign-in-list"></ul>
       <p>Not you? Revoke it below and change your password. <button id="dismiss-sign-ins">It was me</button></p>
     </div>
     <table><thead><tr><th>Browser</th><th>OS</th><th>Device</th><th>Location</th><th>IP</th><th>Last activity</th><th><span class="sr-only">Actions</span></th></tr></thead>
     <tbody id="rows"></tbody></table>
     <p><button id="revoke-others" hidden>Log out all other sessions</button></p>`,
    { title: 'Sessions', username, tail: script + tail, ...page },
  );
}

/** A long form, to show that an inactivity logout does not lose what was typed. */
export function formPage(page: PageContext, username: string, tail?: string): string {
  const fields = Array.from(
    { length: 12 },
    (_, i) => `<label for="note${i}">Note ${i + 1}</label><input id="note${i}" name="note${i}">`,
  ).join('\n');
  return layout(
    `<h1>A long form</h1>
     <form id="long-form" method="post" action="/form">
       <label for="title">Title</label><input id="title" name="title">
       <label for="body">Body</label><textarea id="body" name="body" rows="6"></textarea>
       <label for="category">Category</label>
       <select id="category" name="category"><option>General</option><option>Sales</option><option>Support</option></select>
       ${fields}
       <label for="secret">Password (never saved)</label><input id="secret" name="secret" type="password">
       <p><button type="submit">Save</button></p>
     </form>`,
    { title: 'Form', username, tail, ...page },
  );
}

/** Every user's sessions, for administrators: rendered in the browser from `GET {prefix}/admin/sessions`, by pages. */
export function adminSessionsPage(page: PageContext, username: string, prefix: string, tail = ''): string {
  const script = `<script nonce="${escapeHtml(page.nonce)}">
const api = ${JSON.stringify(prefix)};
${SCRIPT_HELPERS}
let next = null;
async function load(cursor) {
  const query = cursor ? '?cursor=' + encodeURIComponent(cursor) : '';
  const res = await fetch(api + '/admin/sessions' + query, { headers: { accept: 'application/json' } });
  if (res.status !== 200) { document.getElementById('status').textContent = 'Could not load the sessions (' + res.status + ').'; return; }
  const body = await res.json();
  const rows = body.sessions.map((s) => '<tr><td>' + esc(s.userId) + '</td><td>' + nv(s.browser) + ' on ' + nv(s.os) + '</td><td>' + place(s.location, s.ip) +
    '</td><td>' + esc(s.ip) + '</td><td><time datetime="' + esc(s.lastActivity) + '">' + esc(new Date(s.lastActivity).toLocaleString()) + '</time></td><td>' +
    (s.current ? '<span class="current">You, here</span>' : '<button data-revoke="' + esc(s.id) + '" aria-label="Revoke this session of user ' + esc(s.userId) + '">Revoke</button>') +
    ' <button data-revoke-user="' + esc(s.userId) + '" aria-label="Log out user ' + esc(s.userId) + ' everywhere">Log out this user everywhere</button>' +
    ' <a href="/admin/security?user=' + encodeURIComponent(s.userId) + '">Security log<span class="sr-only"> of user ' + esc(s.userId) + '</span></a></td></tr>').join('');
  const tbody = document.getElementById('rows');
  if (cursor) tbody.insertAdjacentHTML('beforeend', rows); else tbody.innerHTML = rows;
  next = body.nextCursor;
  document.getElementById('more').hidden = !next;
}
document.addEventListener('click', async (event) => {
  const data = event.target.dataset || {};
  if (data.revoke) { await fetch(api + '/admin/sessions/' + encodeURIComponent(data.revoke), { method: 'DELETE' }); load(); }
  if (data.revokeUser) { await fetch(api + '/admin/users/' + encodeURIComponent(data.revokeUser) + '/sessions', { method: 'DELETE' }); load(); }
  if (event.target.id === 'more' && next) load(next);
});
load();
</script>`;
  return layout(
    `<h1>Everyone's sessions</h1>
     <p id="status" role="status"></p>
     <table><thead><tr><th>User id</th><th>Browser</th><th>Location</th><th>IP</th><th>Last activity</th><th><span class="sr-only">Actions</span></th></tr></thead>
     <tbody id="rows"></tbody></table>
     <p><button id="more" hidden>More</button></p>`,
    { title: "Everyone's sessions", username, tail: script + tail, admin: true, ...page },
  );
}

/**
 * The security log (`GET {prefix}/history`): sign-ins and how each session ended, newest first,
 * by pages. With `of`, a user id: that user's, for administrators (`GET {prefix}/admin/users/:userId/history`).
 */
export function securityLogPage(page: PageContext, username: string, prefix: string, tail = '', of?: string): string {
  const path = of === undefined ? '/history' : `/admin/users/${encodeURIComponent(of)}/history`;
  const here = of === undefined ? '/security' : `/admin/security?user=${encodeURIComponent(of)}`;
  const script = `<script nonce="${escapeHtml(page.nonce)}">
const api = ${JSON.stringify(prefix + path)};
${SCRIPT_HELPERS}
const BY = { self: 'from that session', 'other-session': 'from another of ${of === undefined ? 'your' : 'their'} sessions', admin: 'by an administrator', server: 'by the system', idp: 'at the identity provider' };
const what = (e) => ({
  login: e.newDevice ? '<strong>Signed in from a new device</strong>' : 'Signed in',
  logout: 'Signed out',
  revoked: 'Logged out ' + (BY[e.by] || '') + (e.byUser ? ' (user ' + esc(e.byUser) + ')' : ''),
  expired: 'Logged out after inactivity',
  lost: 'Session lost by the server',
})[e.type] || esc(e.type);
let next = null;
let shown = 0;
async function load(cursor) {
  const res = await fetch(api + (cursor ? '?cursor=' + encodeURIComponent(cursor) : ''), { headers: { accept: 'application/json' } });
  if (res.status === 401) { location.href = '/?next=' + encodeURIComponent(${JSON.stringify(here)}); return; }
  const status = document.getElementById('status');
  if (res.status !== 200) { status.textContent = 'Could not load the log (' + res.status + ').'; return; }
  const body = await res.json();
  const rows = body.events.map((e) => '<tr><td><time datetime="' + esc(e.at) + '">' + esc(new Date(e.at).toLocaleString()) + '</time></td><td>' +
    what(e) + '</td><td>' + nv(e.browser) + ' on ' + nv(e.os) + ' (' + esc(e.device) + ')</td><td>' + place(e.location, null) + '</td><td>' +
    (e.ip ? esc(e.ip) : 'Unknown') + '</td></tr>').join('');
  const tbody = document.getElementById('rows');
  if (cursor) tbody.insertAdjacentHTML('beforeend', rows); else tbody.innerHTML = rows;
  shown = (cursor ? shown : 0) + body.events.length;
  next = body.nextCursor;
  status.textContent = shown === 0 ? 'Nothing yet.' : 'Showing ' + shown + (next ? ' entries, newest first.' : ' entries: all of them.');
  const more = document.getElementById('more');
  // The button goes away on the last page: keep the keyboard user's place (the status that says so).
  if (!next && document.activeElement === more) status.focus();
  more.hidden = !next;
}
document.getElementById('more').addEventListener('click', () => next && load(next));
load();
</script>`;
  const title = of === undefined ? 'Security log' : `Security log of user ${of}`;
  return layout(
    `<h1>${escapeHtml(title)}</h1>
     <p>${of === undefined ? 'Every sign-in to your account' : 'Every sign-in of this user'} and how each session ended, for the last 90 days.</p>
     <p id="status" role="status" tabindex="-1"></p>
     <table><thead><tr><th>When</th><th>What</th><th>Browser</th><th>Location</th><th>IP</th></tr></thead>
     <tbody id="rows"></tbody></table>
     <p><button id="more" hidden>Older</button></p>`,
    { title, username, tail: script + tail, ...page },
  );
}

/** Change password: on success every other session of the user ends (OWASP). */
export function passwordPage(page: PageContext, username: string, result?: { error?: string; ended?: number }, tail = ''): string {
  const said = result?.error
    ? `<p class="error" role="alert">${escapeHtml(result.error)}</p>`
    : result?.ended !== undefined
      ? `<p class="notice" role="status">Password changed. ${result.ended === 1 ? '1 other session was' : `${result.ended} other sessions were`} logged out.</p>`
      : '';
  return layout(
    `<h1>Change password</h1>
     ${said}
     <form method="post" action="/password">
       <label for="current">Current password</label><input id="current" name="current" type="password" autocomplete="current-password" required>
       <label for="next">New password (at least 8 characters)</label><input id="next" name="next" type="password" autocomplete="new-password" minlength="8" required>
       <p><button type="submit">Change password and log out my other sessions</button></p>
     </form>`,
    { title: 'Change password', username, tail, ...page },
  );
}
