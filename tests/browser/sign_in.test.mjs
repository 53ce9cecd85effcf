// Sign-in through a real OpenID provider (npm's oidc-provider) in a real
// browser (Debian's chromium): two people in different groups sign in
// through the provider's own login form and see different projects, never
// each other's names; the session cookie is HttpOnly, Secure and __Host-,
// and nothing of it is readable by page scripts; an expired session ends
// the dashboard's WebSocket with 4401 and the page says "Signed out — sign
// in again". Bad callbacks, logouts and upgrades are refused. With
// --oidc-refresh, a group change at the provider reaches an open dashboard
// and a person removed there is signed out.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchChromium, shot } from '../support/browser.mjs';
import WebSocket from 'ws';
import { Stack, waitFor } from '../support/stack.mjs';
import { TcpProxy } from '../support/tcp_proxy.mjs';
import { startIdentityProvider } from '../support/oidc_idp.mjs';

const SESSION_SECONDS = 12;

let dir;
let front; // the public URL: a proxy whose port is known before the gateway starts
let idp;
let stack;
let browser;
let publicUrl;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'nanokit-sign-in-'));
  front = await TcpProxy.start(1);
  publicUrl = `http://127.0.0.1:${front.port}`;
  idp = await startIdentityProvider({
    clientId: 'nanokit-dashboard',
    clientSecret: 'test-client-secret-0123456789',
    redirectUri: `${publicUrl}/auth/callback`,
    users: {
      alice: { email: 'alice@example.com', groups: ['team-web', 'staff'] },
      bob: { email: 'bob@example.org', groups: ['team-api'] },
    },
  });
  writeFileSync(path.join(dir, 'client-secret'), 'test-client-secret-0123456789\n', { mode: 0o600 });
  writeFileSync(path.join(dir, 'access-map.json'), JSON.stringify({
    rules: [
      { claim: 'groups', equals: 'bridge-admins', role: 'admin' },
      { claim: 'groups', prefix: 'team-', project: '$suffix' },
    ],
  }));
  stack = await Stack.start({
    gatewayArgs: ['--public-url', publicUrl, '--oidc-issuer', idp.issuer, '--oidc-client-id', 'nanokit-dashboard',
      '--oidc-client-secret-file', path.join(dir, 'client-secret'), '--oidc-scopes', 'openid email profile groups',
      '--access-map', path.join(dir, 'access-map.json'), '--session-max-age', `${SESSION_SECONDS}s`],
  });
  front.targetPort = stack.gatewayPort;
  for (const project of ['web', 'api', 'secret-ops']) {
    await stack.publish(project, [{ statusUpdate: { resourceId: `${project}-svc`, kind: 'service', status: 'HEALTHY' } }]);
  }
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
  await idp?.stop();
  await front?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});


// Opens the dashboard in a fresh browser profile and signs in as user
// through the provider's own pages.
async function signIn(user, url = publicUrl) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}/`);
  const link = page.locator('#sign-in');
  await link.waitFor();
  await shot(page, `sign-in-${user}-before`);
  await link.click();
  // oidc-provider's login form, then its consent form.
  await page.locator('input[name="login"]').fill(user);
  await page.locator('input[name="password"]').fill('any-password');
  await page.locator('button[type="submit"]').click();
  await page.waitForURL((at) => at.href.startsWith(url) || /consent|interaction/.test(at.href));
  if (!page.url().startsWith(url)) await page.locator('button[type="submit"]').click();
  await page.waitForURL((at) => at.href.startsWith(url));
  return { context, page, errors };
}

test('two people in different groups sign in and each sees only their projects', async () => {
  const alice = await signIn('alice');
  try {
    const { page, context } = alice;
    await page.locator('#user .name').waitFor();
    assert.equal(await page.locator('#user .name').innerText(), 'alice@example.com');
    await page.locator('section[data-project="web"] tr[data-resource="web-svc"]').waitFor();
    await waitFor('the project list', async () => (await page.locator('#project-list li, nav [data-project]').count()) > 0, 5000);
    const text = await page.locator('body').innerText();
    assert.doesNotMatch(text, /\bapi\b|secret-ops/, 'alice never sees another team\'s project names');
    await shot(page, 'sign-in-alice-signed-in');

    // The session cookie: __Host-, HttpOnly, Secure, SameSite=Lax; nothing
    // of it (or of any token) is readable by the page.
    const cookies = await context.cookies(publicUrl);
    const session = cookies.find((c) => c.name === '__Host-nanokit-session');
    assert.ok(session, `a session cookie (have ${cookies.map((c) => c.name)})`);
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);
    assert.equal(session.sameSite, 'Lax');
    assert.equal(session.path, '/');
    assert.equal(await page.evaluate(() => document.cookie), '');
    const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.doesNotMatch(storage, /eyJ/, 'no JWT in web storage');

    // /auth/me, for the dashboard: who, and which projects.
    const me = await page.evaluate(async () => (await fetch('/auth/me')).json());
    assert.deepEqual(me.projects, ['web']);
    assert.equal(me.signedIn, true);

    // Another site's page cannot ride the session: a cookie-carrying
    // upgrade from a foreign Origin is refused.
    const cookieHeader = `${session.name}=${session.value}`;
    const refused = await new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${front.port}/ws`, 'nanokit.v1',
        { headers: { Cookie: cookieHeader, Origin: 'https://evil.example' } });
      ws.on('unexpected-response', (req, res) => resolve(res.statusCode));
      ws.on('open', () => { ws.close(); resolve(101); });
      ws.on('error', () => {});
    });
    assert.equal(refused, 403);
    // Nor end it: a logout from a foreign Origin is refused.
    const logout = await fetch(`${publicUrl}/auth/logout`, { method: 'POST', headers: { Cookie: cookieHeader, Origin: 'https://evil.example' } });
    assert.equal(logout.status, 403);

    const bob = await signIn('bob');
    try {
      await bob.page.locator('section[data-project="api"] tr[data-resource="api-svc"]').waitFor();
      const bobText = await bob.page.locator('body').innerText();
      assert.doesNotMatch(bobText, /\bweb\b|secret-ops|alice/);
      // A project outside his access, asked for by name, is refused.
      const denied = await bob.page.evaluate(async () => (await fetch('/auth/me')).json());
      assert.deepEqual(denied.projects, ['api']);
      await shot(bob.page, 'sign-in-bob-signed-in');
      assert.deepEqual(bob.errors, []);
    } finally {
      await bob.context.close();
    }

    // The session ends (--session-max-age): the WebSocket closes with 4401
    // and the page offers to sign in again, without a reconnect loop.
    await page.locator('#sign-in-again').waitFor({ timeout: (SESSION_SECONDS + 5) * 1000 });
    assert.match(await page.locator('#banner').innerText(), /Signed out — sign in again/);
    assert.equal(await page.evaluate(() => window.nanokit.connection.closeCode), 4401);
    await shot(page, 'sign-in-alice-signed-out');
    assert.deepEqual(alice.errors, []);
  } finally {
    await alice.context.close();
  }
});

test('bad callbacks are refused and change nothing', async () => {
  // No login cookie: this browser did not start the sign-in.
  let response = await fetch(`${publicUrl}/auth/callback?code=x&state=y`, { redirect: 'manual' });
  assert.equal(response.status, 400);
  assert.match(await response.text(), /Sign in again/);

  // A login cookie, but the state is not its login's.
  const login = await fetch(`${publicUrl}/auth/login?return_to=/`, { redirect: 'manual' });
  assert.equal(login.status, 302);
  const location = new URL(login.headers.get('location'));
  assert.equal(location.origin, idp.issuer);
  assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(location.searchParams.get('nonce'));
  const setCookie = login.headers.get('set-cookie');
  assert.match(setCookie, /^__Host-nanokit-login=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Lax/);
  const loginCookie = setCookie.split(';')[0];
  response = await fetch(`${publicUrl}/auth/callback?code=x&state=wrong`, { redirect: 'manual', headers: { Cookie: loginCookie } });
  assert.equal(response.status, 400);
  assert.match(await response.text(), /state/);
  // Its login is used up: the right state now finds nothing either.
  const state = location.searchParams.get('state');
  response = await fetch(`${publicUrl}/auth/callback?code=x&state=${state}`, { redirect: 'manual', headers: { Cookie: loginCookie } });
  assert.equal(response.status, 400);
  assert.match(await response.text(), /already used/);

  // A right state with a code the provider never issued: refused by it.
  const again = await fetch(`${publicUrl}/auth/login`, { redirect: 'manual' });
  const againState = new URL(again.headers.get('location')).searchParams.get('state');
  response = await fetch(`${publicUrl}/auth/callback?code=forged-code&state=${againState}`,
    { redirect: 'manual', headers: { Cookie: again.headers.get('set-cookie').split(';')[0] } });
  assert.equal(response.status, 401);
  assert.match(await response.text(), /refused the code/);

  // An unknown session cookie is no session.
  const me = await fetch(`${publicUrl}/auth/me`, { headers: { Cookie: '__Host-nanokit-session=made-up' } });
  assert.equal(me.status, 401);
  // A return_to to another host is not followed.
  const away = await fetch(`${publicUrl}/auth/login?return_to=//evil.example/`, { redirect: 'manual' });
  assert.equal(away.status, 302);
});

test('with --oidc-refresh, group changes at the provider reach open dashboards, and a removed person is signed out', async () => {
  const proxy = await TcpProxy.start(1);
  const url = `http://127.0.0.1:${proxy.port}`;
  const users = { carol: { email: 'carol@example.com', groups: ['team-web'] } };
  const provider = await startIdentityProvider({
    clientId: 'nanokit-dashboard', clientSecret: 'test-client-secret-0123456789', redirectUri: `${url}/auth/callback`,
    users, idTokenSeconds: 3,
  });
  const refreshing = await Stack.start({
    gatewayArgs: ['--public-url', url, '--oidc-issuer', provider.issuer, '--oidc-client-id', 'nanokit-dashboard',
      '--oidc-client-secret-file', path.join(dir, 'client-secret'),
      '--oidc-scopes', 'openid email groups offline_access', '--oidc-refresh',
      '--access-map', path.join(dir, 'access-map.json')],
  });
  proxy.targetPort = refreshing.gatewayPort;
  let carol;
  try {
    for (const project of ['web', 'api']) {
      await refreshing.publish(project, [{ statusUpdate: { resourceId: `${project}-svc`, kind: 'service', status: 'HEALTHY' } }]);
    }
    carol = await signIn('carol', url);
    const { page } = carol;
    await page.locator('section[data-project="web"] tr[data-resource="web-svc"]').waitFor();
    const projects = async () => (await page.evaluate(async () => (await fetch('/auth/me')).json())).projects;
    assert.deepEqual(await projects(), ['web']);

    // Moved to another team at the provider: within an ID token's lifetime
    // (3 s here) the open dashboard follows, without signing in again.
    users.carol.groups = ['team-api'];
    await waitFor('the refreshed claims', async () => JSON.stringify(await projects()) === '["api"]', 15000, 250);
    await page.locator('section[data-project="api"] tr[data-resource="api-svc"]').waitFor({ timeout: 10000 });
    await page.locator('section[data-project="web"]').waitFor({ state: 'detached', timeout: 10000 });
    await shot(page, 'sign-in-refresh-moved');

    // Removed at the provider: the next refresh is refused, she is signed out.
    delete users.carol;
    await page.locator('#sign-in-again').waitFor({ timeout: 15000 });
    assert.equal(await page.evaluate(() => window.nanokit.connection.closeCode), 4401);
    assert.deepEqual(carol.errors, []);
  } finally {
    await carol?.context.close();
    await refreshing.stop();
    await provider.stop();
    await proxy.close();
  }
});
