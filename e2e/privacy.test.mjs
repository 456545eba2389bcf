// Browser test of the privacy center against the real server: a new person
// asks for a copy of their data, downloads the ZIP and opens it, then
// cancels their account, after which signing in is refused.
//
// Run (from the repo root, after `cargo build -p camvault`): node --test e2e/

import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Harness, bodyText, expectPath, submitFormWith, watch } from './harness.mjs';

const SHOTS = ['01-privacy-center.png', '02-export-ready.png', '03-cancelled.png', '04-signin-refused.png', 'failure.png'];

const h = new Harness({ shots: SHOTS, dataDirPrefix: 'camvault-e2e-privacy-' });
let page;

const shot = (name) => h.shot(page, name);

before(async () => {
  h.prepare();
  await h.startServer();
  await h.launchBrowser();
  page = await h.newPage({ failureShot: 'failure.png' });
});

after(() => h.cleanup());

/** The names and one JSON file of a ZIP, read by Python's zipfile. */
function readZip(file, member) {
  const script = 'import json, sys, zipfile\n'
    + 'z = zipfile.ZipFile(sys.argv[1])\n'
    + 'assert z.testzip() is None\n'
    + 'print(json.dumps({"names": z.namelist(), "member": json.loads(z.read(sys.argv[2]))}))';
  return JSON.parse(execFileSync('python3', ['-c', script, file, member], { encoding: 'utf8' }));
}

test('export my data, open it, cancel my account', { timeout: 120_000 }, async () => {
  await h.withDiagnostics(async () => {
    const suffix = crypto.randomBytes(4).toString('hex');
    const username = `e2e_priv_${suffix}`;
    const password = 'correct-horse-battery-staple-42';
    const pageErrors = [];
    const serverErrors = [];
    watch(page, pageErrors, serverErrors);

    // Sign up and verify.
    await page.goto(`${h.base}/signup`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.fill('input[name=email]', `e2e-priv-${suffix}@example.com`);
    const mark = h.stdout.mark();
    await submitFormWith(page, 'input[name=username]');
    await expectPath(page, '/verify');
    const code = await h.stdout.waitFor(/code (\d{6})/, { since: mark });
    await page.fill('input[name=code]', code[1]);
    await submitFormWith(page, 'input[name=code]');
    await expectPath(page, '/account');

    // Ask for a copy; it is prepared in the background.
    await page.goto(`${h.base}/privacy-center`);
    await shot('01-privacy-center.png');
    await page.locator('#export button[type=submit]').click();
    await page.locator('.notice').first().waitFor({ state: 'visible' });
    let link = page.locator('#export a.download');
    for (let i = 0; i < 60 && (await link.count()) === 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      await page.goto(`${h.base}/privacy-center#export`);
      link = page.locator('#export a.download');
    }
    assert.equal(await link.count(), 1, 'a download link once the copy is ready');
    await shot('02-export-ready.png');

    // Download it through the browser and open it.
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const file = path.join(h.dataDir, 'export.zip');
    await download.saveAs(file);
    assert.match(download.suggestedFilename(), /^camvault-export-.*\.zip$/);
    const zip = readZip(file, 'account.json');
    for (const name of ['account.json', 'cameras.json', 'events.json', 'consents.json', 'requests.json', 'access-log.json', 'manifest.json']) {
      assert.ok(zip.names.includes(name), `${name} in ${zip.names}`);
    }
    assert.equal(zip.member.username, username);
    fs.rmSync(file);

    // Cancel: the password again and a confirmation.
    await page.goto(`${h.base}/privacy-center`);
    await page.fill('#cancel input[name=password]', password);
    await page.check('#cancel input[name=confirm]');
    await page.locator('#cancel button[type=submit]').click();
    await page.getByText('Your account is cancelled').waitFor({ state: 'visible' });
    await shot('03-cancelled.png');

    // Signing in is refused from now on.
    await page.goto(`${h.base}/signin`);
    await page.fill('input[name=login]', username);
    await page.fill('input[name=password]', password);
    await submitFormWith(page, 'input[name=login]');
    await page.locator('.error').first().waitFor({ state: 'visible' });
    assert.equal(new URL(page.url()).pathname, '/signin');
    const text = await bodyText(page);
    assert.ok(!text.includes(username) || text.includes('Sign in'), text);
    await shot('04-signin-refused.png');

    assert.deepEqual(pageErrors, [], 'JavaScript errors on the pages');
    assert.deepEqual(serverErrors, [], 'server answered with 5xx');
  });
});
