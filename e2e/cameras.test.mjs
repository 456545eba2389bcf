// Browser test of the camera pages on the real camvault server: a device is
// provisioned with the CLI before the server starts; user A signs up, binds
// the camera with the code on its label and invites B's email as a viewer;
// user B (a second browser context) signs up with that email, accepts the
// invitation and sees the camera; A revokes B on the sharing page and B's
// next look at the camera is the not-found page.
//
// Run (from the repo root, after `cargo build -p camvault`):
//   node --test e2e/cameras.test.mjs
// Env: CAMVAULT_BIN (default target/debug/camvault), CHROMIUM (default /usr/bin/chromium).
// Screenshots: target/e2e-screenshots/cameras-*.png.

import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const serverBin = process.env.CAMVAULT_BIN || path.join(repoRoot, 'target', 'debug', 'camvault');
const chromiumBin = process.env.CHROMIUM || '/usr/bin/chromium';
const shotsDir = path.join(repoRoot, 'target', 'e2e-screenshots');

const LINE_TIMEOUT_MS = 15_000;
const NAV_TIMEOUT_MS = 15_000;
const SHUTDOWN_TIMEOUT_MS = 10_000;
const CLI_TIMEOUT_MS = 60_000;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

const SERIAL = 'E2E-0001';
const CODE = 'CODE0001';
const CAMERA_NAME = 'Cube 2 0001';
const DEVICES_CSV = `serial,model,verification_code,device_secret\n${SERIAL},Cube 2,${CODE},secret-secret-0001\n`;

// --- server process with line-oriented output ------------------------------

// Strip ANSI colour codes so regexes see plain text even if logs are coloured.
const plain = (s) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

/** Collects a stream's lines and lets callers wait for the next matching one. */
class LineLog {
  constructor(name, stream) {
    this.name = name;
    this.lines = [];
    this.cursor = 0; // lines before this index have been consumed by waitFor
    this.closed = false;
    this.waiters = new Set();
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      partial += chunk;
      const parts = partial.split(/\r?\n/);
      partial = parts.pop();
      for (const p of parts) this.push(plain(p));
    });
    stream.on('end', () => {
      if (partial) this.push(plain(partial));
      partial = '';
      this.close();
    });
  }

  push(line) {
    this.lines.push(line);
    for (const w of [...this.waiters]) w.check();
  }

  close() {
    this.closed = true;
    for (const w of [...this.waiters]) w.check();
  }

  /** Index to pass as `since` so only lines printed after this point count. */
  mark() {
    return this.lines.length;
  }

  /**
   * Resolves with the regex match of the next line (from the cursor, or from
   * `since`) matching `re`, and moves the cursor past it. Rejects after
   * `timeout` ms or when the stream closes first.
   */
  waitFor(re, { timeout = LINE_TIMEOUT_MS, since } = {}) {
    return new Promise((resolve, reject) => {
      let from = Math.max(this.cursor, since ?? 0);
      const waiter = {
        check: () => {
          for (; from < this.lines.length; from++) {
            const m = re.exec(this.lines[from]);
            if (m) {
              this.cursor = from + 1;
              finish();
              resolve(m);
              return;
            }
          }
          if (this.closed) {
            finish();
            reject(new Error(`${this.name} closed before a line matched ${re}`));
          }
        },
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeout} ms waiting for a ${this.name} line matching ${re}`));
      }, timeout);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      waiter.check();
    });
  }

  tail(n = 40) {
    return this.lines.slice(-n).join('\n');
  }
}

let dataDir;
let provisionOutput = ''; // what `camvault admin provision` printed
let server; // ChildProcess
let stdout; // LineLog
let stderr; // LineLog
let serverExit; // Promise<{code, signal}>
let exited = null; // {code, signal} once the server has exited
let spawnError = null;
let base; // http://127.0.0.1:PORT
let browser;
let pageA; // user A's browser context
let pageB; // user B's browser context
let failed = false;

async function serverDiagnostics() {
  // If the output streams closed, the exit status usually follows right away.
  if (!exited && !spawnError && stdout?.closed) {
    await Promise.race([serverExit, new Promise((r) => setTimeout(r, 2000))]);
  }
  const status = exited ? `exited (code ${exited.code}, signal ${exited.signal})` : 'running';
  return [
    `--- camvault admin provision output:\n${provisionOutput}`,
    `--- camvault server (${serverBin}) ${server ? status : 'not started'}${spawnError ? `, spawn error: ${spawnError.message}` : ''}`,
    `--- stdout tail:\n${stdout ? stdout.tail() : ''}`,
    `--- stderr tail:\n${stderr ? stderr.tail() : ''}`,
  ].join('\n');
}

const SHOTS = [
  'cameras-01-a-verify.png',
  'cameras-02-a-add.png',
  'cameras-03-a-camera.png',
  'cameras-04-a-sharing.png',
  'cameras-05-a-invited.png',
  'cameras-05-a-invited-phone.png',
  'cameras-06-b-verify.png',
  'cameras-07-b-cameras-invitation.png',
  'cameras-08-b-invitations.png',
  'cameras-09-b-camera.png',
  'cameras-10-b-cameras.png',
  'cameras-11-a-sharing-shared.png',
  'cameras-12-a-revoked.png',
  'cameras-13-b-not-found.png',
  'cameras-failure-a.png',
  'cameras-failure-b.png',
];

async function shot(page, name) {
  assert.ok(SHOTS.includes(name), `add ${name} to SHOTS`);
  if (!page) return;
  fs.mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: path.join(shotsDir, name), fullPage: true });
}

/** Runs a test body; on failure dumps server output and screenshots. */
async function withDiagnostics(fn) {
  try {
    await fn();
  } catch (err) {
    failed = true;
    console.error(await serverDiagnostics());
    for (const [page, name] of [
      [pageA, 'cameras-failure-a.png'],
      [pageB, 'cameras-failure-b.png'],
    ]) {
      if (page) {
        console.error(`--- browser ${name.includes('-a') ? 'A' : 'B'} at ${page.url()}`);
        await shot(page, name).catch(() => {});
      }
    }
    throw err;
  }
}

/** Waits until the page's path is exactly `pathname` (a string or a RegExp). */
async function expectPath(page, pathname) {
  const ok = (p) => (pathname instanceof RegExp ? pathname.test(p) : p === pathname);
  await page.waitForURL((u) => ok(u.pathname), { timeout: NAV_TIMEOUT_MS });
  const now = new URL(page.url()).pathname;
  assert.ok(ok(now), `expected path ${pathname}, at ${now}`);
  return now;
}

/** Clicks the submit button of the form that contains `field`. */
async function submitFormWith(page, field) {
  await page.locator(`form:has(${field}) button[type=submit]`).first().click();
}

async function bodyText(page) {
  return page.locator('body').innerText();
}

/** Watches a page for script errors and 5xx answers. */
function watch(page, pageErrors, serverErrors) {
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('response', (res) => {
    if (res.status() >= 500) serverErrors.push(`${res.status()} ${res.request().method()} ${res.url()}`);
  });
}

/** Signs up on /signup and verifies the emailed code; ends on /account. */
async function signUp(page, { username, email, password }, verifyShot) {
  const res = await page.goto(`${base}/signup`);
  assert.equal(res.status(), 200, 'GET /signup');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.fill('input[name=email]', email);
  const beforeSubmit = stdout.mark();
  await submitFormWith(page, 'input[name=username]');
  await expectPath(page, '/verify');
  const codeMatch = await stdout.waitFor(/code (\d{6})/, { since: beforeSubmit });
  assert.ok(!codeMatch.input.includes(email), `console sender printed the unmasked address: ${codeMatch.input}`);
  await page.fill('input[name=code]', codeMatch[1]);
  await shot(page, verifyShot);
  await submitFormWith(page, 'input[name=code]');
  await expectPath(page, '/account');
  const text = await bodyText(page);
  assert.ok(text.includes(username), `account page should show ${username}; got:\n${text}`);
  assert.match(text, /\bverified\b/i, 'account page should say the contact is verified');
}

/** No inline script or inline style on the page the browser is showing. */
async function assertScriptless(page) {
  const html = await page.content();
  assert.ok(!html.includes('<script'), `${page.url()} has a script tag`);
  assert.ok(!html.includes(' style='), `${page.url()} has an inline style`);
}

before(async () => {
  assert.ok(fs.existsSync(serverBin), `server binary ${serverBin} not found: run \`cargo build -p camvault\` or set CAMVAULT_BIN`);
  assert.ok(fs.existsSync(chromiumBin), `chromium ${chromiumBin} not found: apt-get install chromium, or set CHROMIUM`);

  // Drop this file's screenshots from earlier runs so none are stale.
  for (const name of SHOTS) fs.rmSync(path.join(shotsDir, name), { force: true });

  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'camvault-e2e-cameras-'));
  const env = {
    ...process.env,
    CAMVAULT_DELIVERY_EMAIL: 'console',
    CAMVAULT_DELIVERY_SMS: 'console',
    RUST_LOG: 'info',
  };

  // The maker's batch, imported with the CLI before the server runs.
  const csv = path.join(dataDir, 'devices.csv');
  fs.writeFileSync(csv, DEVICES_CSV);
  const provision = spawnSync(serverBin, ['admin', 'provision', csv, '--data-dir', dataDir], {
    cwd: dataDir,
    env,
    encoding: 'utf8',
    timeout: CLI_TIMEOUT_MS,
  });
  provisionOutput = [
    `status ${provision.status}, signal ${provision.signal}${provision.error ? `, error: ${provision.error.message}` : ''}`,
    `stdout:\n${plain(provision.stdout ?? '')}`,
    `stderr:\n${plain(provision.stderr ?? '')}`,
  ].join('\n');
  if (provision.status !== 0 || !/provisioned 1 devices?/.test(provision.stdout ?? '')) {
    failed = true;
    console.error(await serverDiagnostics());
    assert.fail('camvault admin provision failed');
  }

  server = spawn(serverBin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    cwd: dataDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stdout = new LineLog('server stdout', server.stdout);
  stderr = new LineLog('server stderr', server.stderr);
  serverExit = new Promise((resolve) => {
    server.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
    server.on('error', (err) => {
      spawnError = err;
      stdout.close();
      stderr.close();
    });
  });

  try {
    const m = await stdout.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    base = m[1];
  } catch (err) {
    failed = true;
    console.error(await serverDiagnostics());
    if (stderr.lines.some((l) => /listening on/.test(l))) {
      console.error('note: "listening on" appeared on stderr, but the contract is stdout');
    }
    throw err;
  }

  browser = await chromium.launch({
    executablePath: chromiumBin,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  // Two contexts: two people with their own cookies.
  pageA = await (await browser.newContext({ viewport: DESKTOP })).newPage();
  pageA.setDefaultTimeout(NAV_TIMEOUT_MS);
  pageB = await (await browser.newContext({ viewport: DESKTOP })).newPage();
  pageB.setDefaultTimeout(NAV_TIMEOUT_MS);
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (server && !exited && !spawnError) {
    server.kill('SIGTERM');
    const t = setTimeout(() => server.kill('SIGKILL'), SHUTDOWN_TIMEOUT_MS);
    await serverExit;
    clearTimeout(t);
  }
  if (dataDir && !(failed && process.env.CAMVAULT_E2E_KEEP)) {
    fs.rmSync(dataDir, { recursive: true, force: true });
  } else if (dataDir) {
    console.error(`kept data dir ${dataDir}`);
  }
});

test('bind a camera, share it by invitation, accept, revoke', { timeout: 180_000 }, async () => {
  await withDiagnostics(async () => {
    const suffix = crypto.randomBytes(4).toString('hex');
    const password = 'correct-horse-battery-staple-42';
    const a = { username: `e2e_owner_${suffix}`, email: `e2e-owner-${suffix}@example.com`, password };
    const b = { username: `e2e_guest_${suffix}`, email: `e2e-guest-${suffix}@example.com`, password };

    const pageErrors = [];
    const serverErrors = [];
    watch(pageA, pageErrors, serverErrors);
    watch(pageB, pageErrors, serverErrors);

    // 1. A signs up and verifies the emailed code.
    await signUp(pageA, a, 'cameras-01-a-verify.png');

    // 2. A binds the provisioned camera with the code on its label.
    let res = await pageA.goto(`${base}/cameras/add`);
    assert.equal(res.status(), 200, 'GET /cameras/add');
    await pageA.fill('input[name=serial]', SERIAL);
    await pageA.fill('input[name=verification_code]', CODE);
    await shot(pageA, 'cameras-02-a-add.png');
    await submitFormWith(pageA, 'input[name=serial]');
    const cameraPath = await expectPath(pageA, /^\/cameras\/\d+$/);
    let text = await bodyText(pageA);
    assert.ok(text.includes(CAMERA_NAME), `camera page should show ${CAMERA_NAME}; got:\n${text}`);
    assert.ok(text.includes(SERIAL), `camera page should show the serial; got:\n${text}`);
    await assertScriptless(pageA);
    await shot(pageA, 'cameras-03-a-camera.png');

    // 3. A opens sharing from the camera page and invites B's email as viewer.
    await pageA.locator(`a[href="${cameraPath}/sharing"]`).click();
    await expectPath(pageA, `${cameraPath}/sharing`);
    text = await bodyText(pageA);
    assert.ok(text.includes('Nobody else has access'), `sharing page before inviting; got:\n${text}`);
    await shot(pageA, 'cameras-04-a-sharing.png');
    await pageA.fill('input[name=contact]', b.email);
    await pageA.selectOption('select[name=role]', 'viewer');
    const beforeInvite = stdout.mark();
    await submitFormWith(pageA, 'input[name=contact]');
    await expectPath(pageA, `${cameraPath}/sharing`);
    text = await bodyText(pageA);
    assert.ok(text.includes('Invitation sent'), `sharing page after inviting; got:\n${text}`);
    assert.ok(!text.includes(b.email), 'the invited address is shown masked');
    assert.match(text, /e\*\*\*@example\.com/, 'the masked invited address is listed');
    const invitationLine = await stdout.waitFor(/was shared with you|invited to the camvault camera/, { since: beforeInvite });
    assert.ok(!invitationLine.input.includes(b.email), `console sender printed the unmasked address: ${invitationLine.input}`);
    await assertScriptless(pageA);
    await shot(pageA, 'cameras-05-a-invited.png');
    await pageA.setViewportSize(PHONE);
    await shot(pageA, 'cameras-05-a-invited-phone.png');
    await pageA.setViewportSize(DESKTOP);

    // 4. B signs up with the invited email and verifies it.
    await signUp(pageB, b, 'cameras-06-b-verify.png');

    // 5. B sees the invitation from /cameras, opens /invitations and accepts.
    res = await pageB.goto(`${base}/cameras`);
    assert.equal(res.status(), 200, 'GET /cameras as B');
    text = await bodyText(pageB);
    assert.ok(text.includes('You have 1 invitation'), `B's camera list should mention the invitation; got:\n${text}`);
    await shot(pageB, 'cameras-07-b-cameras-invitation.png');
    await pageB.locator('a[href="/invitations"]', { hasText: 'You have 1 invitation' }).click();
    await expectPath(pageB, '/invitations');
    text = await bodyText(pageB);
    assert.ok(text.includes(CAMERA_NAME) && text.includes('viewer'), `invitations page; got:\n${text}`);
    await assertScriptless(pageB);
    await shot(pageB, 'cameras-08-b-invitations.png');
    await pageB.locator('form[action$="/accept"] button[type=submit]').first().click();
    await expectPath(pageB, cameraPath);
    text = await bodyText(pageB);
    assert.ok(text.includes(CAMERA_NAME), `B's camera page; got:\n${text}`);
    assert.match(text, /Your access\s+viewer/, 'B has viewer access');
    assert.ok(text.includes('Leave this camera'), 'B may leave the shared camera');
    await shot(pageB, 'cameras-09-b-camera.png');
    res = await pageB.goto(`${base}/cameras`);
    assert.equal(res.status(), 200, 'GET /cameras as B after accepting');
    await pageB.locator(`a[href="${cameraPath}"]`).waitFor({ state: 'visible' });
    text = await bodyText(pageB);
    assert.ok(text.includes(CAMERA_NAME) && text.includes('viewer'), `B's camera list after accepting; got:\n${text}`);
    assert.ok(!text.includes('You have 1 invitation'), 'the invitation was answered');
    await shot(pageB, 'cameras-10-b-cameras.png');

    // 6. A sees B on the sharing page and revokes B.
    res = await pageA.reload();
    assert.equal(res.status(), 200, 'reload of the sharing page');
    text = await bodyText(pageA);
    assert.ok(text.includes(b.username), `sharing page should list ${b.username}; got:\n${text}`);
    await shot(pageA, 'cameras-11-a-sharing-shared.png');
    await pageA.locator('form[action$="/sharing/revoke"] button[type=submit]').first().click();
    await expectPath(pageA, `${cameraPath}/sharing`);
    text = await bodyText(pageA);
    assert.ok(text.includes('Access revoked') && text.includes('Nobody else has access'), `after revoking; got:\n${text}`);
    assert.ok(!text.includes(b.username), 'B is no longer listed');
    await shot(pageA, 'cameras-12-a-revoked.png');

    // 7. B's next look at the camera is the not-found page.
    res = await pageB.goto(`${base}${cameraPath}`);
    assert.equal(res.status(), 404, 'B gets 404 for the revoked camera');
    text = await bodyText(pageB);
    assert.ok(text.includes('Not found'), `B's not-found page; got:\n${text}`);
    assert.ok(!text.includes(SERIAL), 'the not-found page shows nothing of the camera');
    await assertScriptless(pageB);
    await shot(pageB, 'cameras-13-b-not-found.png');

    assert.deepEqual(pageErrors, [], 'JavaScript errors on the pages');
    assert.deepEqual(serverErrors, [], 'server answered with 5xx');
  });
});
