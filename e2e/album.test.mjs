// Browser test of the album against the real server. A person signs up,
// chooses a photo on /album and uploads it; the page's script sends it to
// the API and shows a progress bar, then the photo is in the album grid,
// decrypted and displayed by the browser; a second photo dropped on the
// form uploads the same way.
//
// Run (from the repo root, after `cargo build -p camvault`):
//   node --test e2e/album.test.mjs

import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Harness, expectPath, repoRoot, submitFormWith } from './harness.mjs';

const PHOTO = path.join(repoRoot, 'crates', 'camvault', 'tests', 'api', 'data', 'snapshot.jpg');
const SHOTS = ['album-01-progress.png', 'album-02-grid.png', 'failure.png'];

const h = new Harness({ shots: SHOTS, dataDirPrefix: 'camvault-e2e-album-' });
let page;

before(async () => {
  h.prepare();
  await h.startServer();
  await h.launchBrowser();
  page = await h.newPage({ failureShot: 'failure.png' });
});

after(() => h.cleanup());

test('a photo uploads with a progress bar and shows in the album', async () => {
  await h.withDiagnostics(async () => {
    await page.goto(`${h.base}/signup`);
    await page.fill('input[name=username]', 'e2e-album');
    await page.fill('input[name=password]', 'an album passphrase for e2e');
    await page.fill('input[name=email]', 'album@example.com');
    const mark = h.stdout.mark();
    await submitFormWith(page, 'input[name=username]');
    await expectPath(page, '/verify');
    const code = await h.stdout.waitFor(/code (\d{6})/, { since: mark });
    await page.fill('input[name=code]', code[1]);
    await submitFormWith(page, 'input[name=code]');
    await expectPath(page, '/account');

    await page.locator('#plan-link a[href="/album"]').click();
    await expectPath(page, '/album');
    await page.setInputFiles('#album-file', PHOTO);
    // Hold the server's answer a moment, so the finished bar can be seen.
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    await page.route('**/api/v1/me/album?name=*', async (route) => {
      await held;
      await route.continue();
    });
    await page.locator('#album-upload button[type=submit]').click();
    await page.waitForSelector('#album-progress:not([hidden])');
    await h.shot(page, 'album-01-progress.png');
    const answered = page.waitForResponse((r) => r.url().includes('/api/v1/me/album?name=snapshot.jpg'));
    release();
    const response = await answered;
    assert.equal(response.status(), 201, 'the API did not take the photo');
    await page.waitForSelector('#album-grid img.thumb');
    const width = await page.$eval('#album-grid img.thumb', (img) => new Promise((resolve) => {
      if (img.complete) resolve(img.naturalWidth);
      else img.onload = () => resolve(img.naturalWidth);
    }));
    assert.ok(width > 0, 'the photo does not display');

    // A second photo, dropped on the form, uploads at once.
    const base64 = fs.readFileSync(PHOTO).toString('base64');
    const dropped = page.waitForResponse((r) => r.url().includes('/api/v1/me/album?name=dropped.jpg'));
    await page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'dropped.jpg', { type: 'image/jpeg' }));
      const form = document.getElementById('album-upload');
      form.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      form.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, base64);
    assert.equal((await dropped).status(), 201, 'the dropped photo was not taken');
    await page.waitForFunction(() => document.querySelectorAll('#album-grid img.thumb').length === 2);
    await h.shot(page, 'album-02-grid.png');
  });
});
