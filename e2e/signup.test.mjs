// Browser test of the real camvault server: sign up, verify the one-time code
// printed by the console message sender, see the account page, sign out, fail
// a sign-in with a wrong password, sign in again, then shut the server down.
//
// Run (from the repo root, after `cargo build -p camvault`):
//   node --test e2e/
// Env: CAMVAULT_BIN (default target/debug/camvault), CHROMIUM (default /usr/bin/chromium).
// Screenshots: target/e2e-screenshots/.

import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

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
let server; // ChildProcess
let stdout; // LineLog
let stderr; // LineLog
let serverExit; // Promise<{code, signal}>
let exited = null; // {code, signal} once the server has exited
let spawnError = null;
let base; // http://127.0.0.1:PORT
let browser;
let page;
let failed = false;

async function serverDiagnostics() {
  // If the output streams closed, the exit status usually follows right away.
  if (!exited && !spawnError && stdout?.closed) {
    await Promise.race([serverExit, new Promise((r) => setTimeout(r, 2000))]);
  }
  const status = exited ? `exited (code ${exited.code}, signal ${exited.signal})` : 'running';
  return [
    `--- camvault server (${serverBin}) ${status}${spawnError ? `, spawn error: ${spawnError.message}` : ''}`,
    `--- stdout tail:\n${stdout ? stdout.tail() : ''}`,
    `--- stderr tail:\n${stderr ? stderr.tail() : ''}`,
  ].join('\n');
}

const SHOTS = [
  '01-signup-phone.png',
  '01-signup.png',
  '02-verify.png',
  '03-account.png',
  '04-signin.png',
  '05-signin-error.png',
  '06-account-signed-in.png',
  'failure.png',
];

async function shot(name) {
  assert.ok(SHOTS.includes(name), `add ${name} to SHOTS`);
  if (!page) return;
  fs.mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: path.join(shotsDir, name), fullPage: true });
}

/** Runs a test body; on failure dumps server output and a screenshot. */
async function withDiagnostics(fn) {
  try {
    await fn();
  } catch (err) {
    failed = true;
    console.error(await serverDiagnostics());
    if (page) {
      console.error(`--- browser at ${page.url()}`);
      await shot('failure.png').catch(() => {});
    }
    throw err;
  }
}

/** Waits until the page's path is exactly `pathname`. */
async function expectPath(pathname) {
  await page.waitForURL((u) => u.pathname === pathname, { timeout: NAV_TIMEOUT_MS });
  assert.equal(new URL(page.url()).pathname, pathname);
}

/** Clicks the submit button of the form that contains `field`. */
async function submitFormWith(field) {
  await page.locator(`form:has(${field}) button[type=submit]`).first().click();
}

async function bodyText() {
  return page.locator('body').innerText();
}

before(async () => {
  assert.ok(fs.existsSync(serverBin), `server binary ${serverBin} not found: run \`cargo build -p camvault\` or set CAMVAULT_BIN`);
  assert.ok(fs.existsSync(chromiumBin), `chromium ${chromiumBin} not found: apt-get install chromium, or set CHROMIUM`);

  // Drop this file's screenshots from earlier runs so none are stale.
  for (const name of SHOTS) fs.rmSync(path.join(shotsDir, name), { force: true });

  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'camvault-e2e-'));
  server = spawn(serverBin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    cwd: dataDir,
    env: {
      ...process.env,
      CAMVAULT_DELIVERY_EMAIL: 'console',
      CAMVAULT_DELIVERY_SMS: 'console',
      RUST_LOG: 'info',
    },
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
  const context = await browser.newContext({ viewport: DESKTOP });
  page = await context.newPage();
  page.setDefaultTimeout(NAV_TIMEOUT_MS);
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

test('sign up, verify the emailed code, sign out, sign in', { timeout: 120_000 }, async () => {
  await withDiagnostics(async () => {
    const suffix = crypto.randomBytes(4).toString('hex');
    const username = `e2e_user_${suffix}`;
    const email = `e2e-${suffix}@example.com`;
    const password = 'correct-horse-battery-staple-42';

    const pageErrors = [];
    const serverErrors = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('response', (res) => {
      if (res.status() >= 500) serverErrors.push(`${res.status()} ${res.request().method()} ${res.url()}`);
    });

    // 1. Sign-up page, also checked at phone width.
    const res = await page.goto(`${base}/signup`);
    assert.equal(res.status(), 200, 'GET /signup');
    await page.setViewportSize(PHONE);
    await shot('01-signup-phone.png');
    await page.setViewportSize(DESKTOP);

    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.fill('input[name=email]', email);
    await shot('01-signup.png');
    const beforeSubmit = stdout.mark();
    await submitFormWith('input[name=username]');

    // 2. Verify with the code the console sender printed.
    await expectPath('/verify');
    const codeMatch = await stdout.waitFor(/code (\d{6})/, { since: beforeSubmit });
    const codeLine = codeMatch.input;
    assert.ok(!codeLine.includes(email), `console sender printed the unmasked address: ${codeLine}`);
    await page.fill('input[name=code]', codeMatch[1]);
    await shot('02-verify.png');
    await submitFormWith('input[name=code]');

    // 3. Account page shows the user, verified.
    await expectPath('/account');
    let text = await bodyText();
    assert.ok(text.includes(username), `account page should show ${username}; got:\n${text}`);
    assert.match(text, /\bverified\b/i, 'account page should say the contact is verified');
    await shot('03-account.png');

    // 4. Sign out.
    await page.locator('form[action="/signout"] button[type=submit]').first().click();
    await expectPath('/signin');
    await shot('04-signin.png');

    // 5. Wrong password: an error on the sign-in page.
    await page.fill('input[name=login]', username);
    await page.fill('input[name=password]', `${password}-wrong`);
    await submitFormWith('input[name=login]');
    await page.locator('.error').first().waitFor({ state: 'visible' });
    assert.equal(new URL(page.url()).pathname, '/signin', 'a failed sign-in stays on /signin');
    await shot('05-signin-error.png');

    // 6. Right password: back to the account page.
    await page.fill('input[name=login]', username);
    await page.fill('input[name=password]', password);
    await submitFormWith('input[name=login]');
    await expectPath('/account');
    text = await bodyText();
    assert.ok(text.includes(username), `account page after sign-in should show ${username}; got:\n${text}`);
    await shot('06-account-signed-in.png');

    assert.deepEqual(pageErrors, [], 'JavaScript errors on the pages');
    assert.deepEqual(serverErrors, [], 'server answered with 5xx');
  });
});

test('server shuts down gracefully on SIGTERM', { timeout: 30_000 }, async () => {
  await withDiagnostics(async () => {
    assert.ok(server && !exited, 'server should still be running before SIGTERM');
    if (browser) {
      await browser.close();
      browser = null;
      page = null;
    }
    server.kill('SIGTERM');
    let timer;
    const result = await Promise.race([
      serverExit,
      new Promise((resolve) => {
        timer = setTimeout(() => resolve(null), SHUTDOWN_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    assert.ok(result, `server did not exit within ${SHUTDOWN_TIMEOUT_MS} ms of SIGTERM`);
    // A server that handles SIGTERM exits on its own with 0; one killed by the
    // signal (no handler) reports signal 'SIGTERM' instead.
    assert.equal(result.signal, null, 'server was killed by SIGTERM instead of shutting down itself');
    assert.equal(result.code, 0, 'exit code after graceful shutdown');
  });
});
