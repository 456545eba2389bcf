// Shared parts of the browser tests: the real `camvault` server in a temp data
// dir with line-oriented stdout/stderr, Debian's Chromium via playwright-core,
// screenshots, diagnostics on failure and a graceful shutdown.
//
// Not a test file itself (node --test only runs `*.test.mjs` and friends).
// Env: CAMVAULT_BIN (default target/debug/camvault), CHROMIUM (default /usr/bin/chromium),
// CAMVAULT_E2E_KEEP=1 keeps the data dir of a failed run.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const serverBin = process.env.CAMVAULT_BIN || path.join(repoRoot, 'target', 'debug', 'camvault');
export const chromiumBin = process.env.CHROMIUM || '/usr/bin/chromium';
export const shotsDir = path.join(repoRoot, 'target', 'e2e-screenshots');

export const LINE_TIMEOUT_MS = 15_000;
export const NAV_TIMEOUT_MS = 15_000;
export const SHUTDOWN_TIMEOUT_MS = 10_000;
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// --- server process with line-oriented output ------------------------------

/** Strips ANSI colour codes so regexes see plain text even if logs are coloured. */
export const plain = (s) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

/** Collects a stream's lines and lets callers wait for the next matching one. */
export class LineLog {
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

// --- one test file's server, browser and screenshots -----------------------

/**
 * One test file's world: a temp data dir, the `camvault serve` process, a
 * Chromium with named pages, and the file's screenshots.
 *
 * Call `prepare()` then `startServer()` and `launchBrowser()` in `before`,
 * `cleanup()` in `after`, and wrap test bodies in `withDiagnostics`.
 */
export class Harness {
  /**
   * @param {object} opts
   * @param {string[]} opts.shots every screenshot name this file may write
   * @param {string} opts.dataDirPrefix prefix of the temp data dir
   */
  constructor({ shots, dataDirPrefix }) {
    this.shots = shots;
    this.dataDirPrefix = dataDirPrefix;
    this.dataDir = undefined;
    this.env = {
      ...process.env,
      CAMVAULT_DELIVERY_EMAIL: 'console',
      CAMVAULT_DELIVERY_SMS: 'console',
      RUST_LOG: 'info',
    };
    this.notes = []; // extra text put first in the failure diagnostics
    this.server = null; // ChildProcess
    this.stdout = null; // LineLog
    this.stderr = null; // LineLog
    this.serverExit = null; // Promise<{code, signal}>
    this.exited = null; // {code, signal} once the server has exited
    this.spawnError = null;
    this.base = undefined; // http://127.0.0.1:PORT
    this.browser = null;
    this.pages = []; // [{ page, label, failureShot }]
    this.failed = false;
  }

  /** Runs a command to completion; fails (with its output in the diagnostics) unless it exits 0. */
  async run(what, bin, args, { cwd, timeout }) {
    const r = spawnSync(bin, args, { cwd, env: this.env, encoding: 'utf8', timeout });
    const output = [
      `status ${r.status}, signal ${r.signal}${r.error ? `, error: ${r.error.message}` : ''}`,
      `stdout:\n${plain(r.stdout ?? '').slice(-4000)}`,
      `stderr:\n${plain(r.stderr ?? '').slice(-4000)}`,
    ].join('\n');
    this.notes.push(`--- ${what} output:\n${output}`);
    if (r.status !== 0) {
      await this.reportFailure();
      assert.fail(`${what} failed`);
    }
    return r;
  }

  /** A request to the server with the Node fetch (a device's or a script's side); returns { status, body }. */
  async api(method, url, { token, body, type } = {}) {
    const headers = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (type) headers['content-type'] = type;
    else if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers,
      body: body === undefined ? undefined : type ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, body: json };
  }

  /** Checks the binaries exist, drops stale screenshots and makes the data dir. */
  prepare() {
    assert.ok(fs.existsSync(serverBin), `server binary ${serverBin} not found: run \`cargo build -p camvault\` or set CAMVAULT_BIN`);
    assert.ok(fs.existsSync(chromiumBin), `chromium ${chromiumBin} not found: apt-get install chromium, or set CHROMIUM`);

    // Drop this file's screenshots from earlier runs so none are stale.
    for (const name of this.shots) fs.rmSync(path.join(shotsDir, name), { force: true });

    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), this.dataDirPrefix));
  }

  /** Server output and status, for a failure report. */
  async diagnostics() {
    // If the output streams closed, the exit status usually follows right away.
    if (!this.exited && !this.spawnError && this.stdout?.closed) {
      await Promise.race([this.serverExit, new Promise((r) => setTimeout(r, 2000))]);
    }
    const { exited, spawnError, stdout, stderr } = this;
    const status = exited ? `exited (code ${exited.code}, signal ${exited.signal})` : 'running';
    return [
      ...this.notes,
      `--- camvault server (${serverBin}) ${this.server ? status : 'not started'}${spawnError ? `, spawn error: ${spawnError.message}` : ''}`,
      `--- stdout tail:\n${stdout ? stdout.tail() : ''}`,
      `--- stderr tail:\n${stderr ? stderr.tail() : ''}`,
    ].join('\n');
  }

  /** Marks the run failed and prints the server diagnostics. */
  async reportFailure() {
    this.failed = true;
    console.error(await this.diagnostics());
  }

  /**
   * Spawns `camvault serve` on a random loopback port and waits for its URL.
   * `serveArgs` go right after `serve` (e.g. `['--demo']`); none by default.
   */
  async startServer({ serveArgs = [] } = {}) {
    const args = ['serve', ...serveArgs, '--listen', '127.0.0.1:0', '--data-dir', this.dataDir];
    const server = spawn(serverBin, args, {
      cwd: this.dataDir,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.server = server;
    this.stdout = new LineLog('server stdout', server.stdout);
    this.stderr = new LineLog('server stderr', server.stderr);
    this.serverExit = new Promise((resolve) => {
      server.on('exit', (code, signal) => {
        this.exited = { code, signal };
        resolve(this.exited);
      });
      server.on('error', (err) => {
        this.spawnError = err;
        this.stdout.close();
        this.stderr.close();
      });
    });

    try {
      const m = await this.stdout.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      this.base = m[1];
    } catch (err) {
      await this.reportFailure();
      if (this.stderr.lines.some((l) => /listening on/.test(l))) {
        console.error('note: "listening on" appeared on stderr, but the contract is stdout');
      }
      throw err;
    }
  }

  /** Launches headless Chromium. */
  async launchBrowser() {
    this.browser = await chromium.launch({ executablePath: chromiumBin, args: CHROMIUM_ARGS });
    return this.browser;
  }

  /**
   * A page in a new browser context (its own cookies) at desktop size; on a
   * failure its URL is printed and `failureShot` saved.
   */
  async newPage({ label = '', failureShot }) {
    const page = await (await this.browser.newContext({ viewport: DESKTOP })).newPage();
    page.setDefaultTimeout(NAV_TIMEOUT_MS);
    this.pages.push({ page, label, failureShot });
    return page;
  }

  /** Closes the browser (and forgets its pages). */
  async closeBrowser() {
    if (this.browser) await this.browser.close();
    this.browser = null;
    this.pages = [];
  }

  /** Saves a full-page screenshot `name`, which must be listed in `shots`. */
  async shot(page, name) {
    assert.ok(this.shots.includes(name), `add ${name} to SHOTS`);
    if (!page) return;
    fs.mkdirSync(shotsDir, { recursive: true });
    await page.screenshot({ path: path.join(shotsDir, name), fullPage: true });
  }

  /** Runs a test body; on failure dumps server output and screenshots. */
  async withDiagnostics(fn) {
    try {
      await fn();
    } catch (err) {
      await this.reportFailure();
      for (const { page, label, failureShot } of this.pages) {
        console.error(`--- browser ${label ? `${label} ` : ''}at ${page.url()}`);
        await this.shot(page, failureShot).catch(() => {});
      }
      throw err;
    }
  }

  /** Closes the browser, stops the server and removes the data dir. */
  async cleanup() {
    if (this.browser) await this.browser.close().catch(() => {});
    const server = this.server;
    if (server && !this.exited && !this.spawnError) {
      server.kill('SIGTERM');
      const t = setTimeout(() => server.kill('SIGKILL'), SHUTDOWN_TIMEOUT_MS);
      await this.serverExit;
      clearTimeout(t);
    }
    if (this.dataDir && !(this.failed && process.env.CAMVAULT_E2E_KEEP)) {
      fs.rmSync(this.dataDir, { recursive: true, force: true });
      // The key vault sits beside the data directory, never in it.
      fs.rmSync(`${this.dataDir}.keys`, { recursive: true, force: true });
    } else if (this.dataDir) {
      console.error(`kept data dir ${this.dataDir}`);
    }
  }
}

// --- page helpers ------------------------------------------------------------

/** Waits until the page's path is exactly `pathname` (a string or a RegExp); returns the path. */
export async function expectPath(page, pathname) {
  const ok = (p) => (pathname instanceof RegExp ? pathname.test(p) : p === pathname);
  await page.waitForURL((u) => ok(u.pathname), { timeout: NAV_TIMEOUT_MS });
  const now = new URL(page.url()).pathname;
  if (pathname instanceof RegExp) assert.ok(ok(now), `expected path ${pathname}, at ${now}`);
  else assert.equal(now, pathname);
  return now;
}

/** Clicks the submit button of the form that contains `field`. */
export async function submitFormWith(page, field) {
  await page.locator(`form:has(${field}) button[type=submit]`).first().click();
}

/** The visible text of the page's body. */
export async function bodyText(page) {
  return page.locator('body').innerText();
}

/** Watches a page for script errors and 5xx answers. */
export function watch(page, pageErrors, serverErrors) {
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('response', (res) => {
    if (res.status() >= 500) serverErrors.push(`${res.status()} ${res.request().method()} ${res.url()}`);
  });
}
