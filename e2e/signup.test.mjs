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
import crypto from 'node:crypto';
import { DESKTOP, PHONE, SHUTDOWN_TIMEOUT_MS, Harness, bodyText, expectPath, submitFormWith, watch } from './harness.mjs';

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

const h = new Harness({ shots: SHOTS, dataDirPrefix: 'camvault-e2e-' });
let page;

const shot = (name) => h.shot(page, name);

before(async () => {
  h.prepare();
  await h.startServer();
  await h.launchBrowser();
  page = await h.newPage({ failureShot: 'failure.png' });
});

after(() => h.cleanup());

test('sign up, verify the emailed code, sign out, sign in', { timeout: 120_000 }, async () => {
  await h.withDiagnostics(async () => {
    const suffix = crypto.randomBytes(4).toString('hex');
    const username = `e2e_user_${suffix}`;
    const email = `e2e-${suffix}@example.com`;
    const password = 'correct-horse-battery-staple-42';

    const pageErrors = [];
    const serverErrors = [];
    watch(page, pageErrors, serverErrors);

    // 1. Sign-up page, also checked at phone width.
    const res = await page.goto(`${h.base}/signup`);
    assert.equal(res.status(), 200, 'GET /signup');
    await page.setViewportSize(PHONE);
    await shot('01-signup-phone.png');
    await page.setViewportSize(DESKTOP);

    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.fill('input[name=email]', email);
    await shot('01-signup.png');
    const beforeSubmit = h.stdout.mark();
    await submitFormWith(page, 'input[name=username]');

    // 2. Verify with the code the console sender printed.
    await expectPath(page, '/verify');
    const codeMatch = await h.stdout.waitFor(/code (\d{6})/, { since: beforeSubmit });
    const codeLine = codeMatch.input;
    assert.ok(!codeLine.includes(email), `console sender printed the unmasked address: ${codeLine}`);
    await page.fill('input[name=code]', codeMatch[1]);
    await shot('02-verify.png');
    await submitFormWith(page, 'input[name=code]');

    // 3. Account page shows the user, verified.
    await expectPath(page, '/account');
    let text = await bodyText(page);
    assert.ok(text.includes(username), `account page should show ${username}; got:\n${text}`);
    assert.match(text, /\bverified\b/i, 'account page should say the contact is verified');
    await shot('03-account.png');

    // 4. Sign out.
    await page.locator('form[action="/signout"] button[type=submit]').first().click();
    await expectPath(page, '/signin');
    await shot('04-signin.png');

    // 5. Wrong password: an error on the sign-in page.
    await page.fill('input[name=login]', username);
    await page.fill('input[name=password]', `${password}-wrong`);
    await submitFormWith(page, 'input[name=login]');
    await page.locator('.error').first().waitFor({ state: 'visible' });
    assert.equal(new URL(page.url()).pathname, '/signin', 'a failed sign-in stays on /signin');
    await shot('05-signin-error.png');

    // 6. Right password: back to the account page.
    await page.fill('input[name=login]', username);
    await page.fill('input[name=password]', password);
    await submitFormWith(page, 'input[name=login]');
    await expectPath(page, '/account');
    text = await bodyText(page);
    assert.ok(text.includes(username), `account page after sign-in should show ${username}; got:\n${text}`);
    await shot('06-account-signed-in.png');

    assert.deepEqual(pageErrors, [], 'JavaScript errors on the pages');
    assert.deepEqual(serverErrors, [], 'server answered with 5xx');
  });
});

test('server shuts down gracefully on SIGTERM', { timeout: 30_000 }, async () => {
  await h.withDiagnostics(async () => {
    assert.ok(h.server && !h.exited, 'server should still be running before SIGTERM');
    await h.closeBrowser();
    page = null;
    h.server.kill('SIGTERM');
    let timer;
    const result = await Promise.race([
      h.serverExit,
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
