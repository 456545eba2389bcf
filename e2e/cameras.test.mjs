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
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DESKTOP, PHONE, Harness, bodyText, expectPath, plain, serverBin, submitFormWith, watch } from './harness.mjs';

const CLI_TIMEOUT_MS = 60_000;

const SERIAL = 'E2E-0001';
const CODE = 'CODE0001';
const CAMERA_NAME = 'Cube 2 0001';
const DEVICES_CSV = `serial,model,verification_code,device_secret\n${SERIAL},Cube 2,${CODE},secret-secret-0001\n`;

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

const h = new Harness({ shots: SHOTS, dataDirPrefix: 'camvault-e2e-cameras-' });
let pageA; // user A's browser context
let pageB; // user B's browser context

/** Signs up on /signup and verifies the emailed code; ends on /account. */
async function signUp(page, { username, email, password }, verifyShot) {
  const res = await page.goto(`${h.base}/signup`);
  assert.equal(res.status(), 200, 'GET /signup');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.fill('input[name=email]', email);
  const beforeSubmit = h.stdout.mark();
  await submitFormWith(page, 'input[name=username]');
  await expectPath(page, '/verify');
  const codeMatch = await h.stdout.waitFor(/code (\d{6})/, { since: beforeSubmit });
  assert.ok(!codeMatch.input.includes(email), `console sender printed the unmasked address: ${codeMatch.input}`);
  await page.fill('input[name=code]', codeMatch[1]);
  await h.shot(page, verifyShot);
  await submitFormWith(page, 'input[name=code]');
  await expectPath(page, '/account');
  const text = await bodyText(page);
  assert.ok(text.includes(username), `account page should show ${username}; got:\n${text}`);
  assert.match(text, /\bverified\b/i, 'account page should say the contact is verified');
}

/**
 * No inline script or inline style in the HTML the server sent for the page
 * the browser is showing (the live DOM has styles the player sets through
 * CSSOM, which the CSP allows). Scripts may only load files from /assets/.
 */
async function assertScriptless(page) {
  const html = await (await page.request.get(page.url())).text();
  for (const m of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.ok(m[1].includes('src="/assets/') && m[2].trim() === '', `${page.url()} has an inline script`);
  }
  assert.ok(!html.includes(' style='), `${page.url()} has an inline style`);
}

before(async () => {
  h.prepare();

  // The maker's batch, imported with the CLI before the server runs.
  const csv = path.join(h.dataDir, 'devices.csv');
  fs.writeFileSync(csv, DEVICES_CSV);
  const provision = spawnSync(serverBin, ['admin', 'provision', csv, '--data-dir', h.dataDir], {
    cwd: h.dataDir,
    env: h.env,
    encoding: 'utf8',
    timeout: CLI_TIMEOUT_MS,
  });
  const provisionOutput = [
    `status ${provision.status}, signal ${provision.signal}${provision.error ? `, error: ${provision.error.message}` : ''}`,
    `stdout:\n${plain(provision.stdout ?? '')}`,
    `stderr:\n${plain(provision.stderr ?? '')}`,
  ].join('\n');
  h.notes.push(`--- camvault admin provision output:\n${provisionOutput}`);
  if (provision.status !== 0 || !/provisioned 1 devices?/.test(provision.stdout ?? '')) {
    await h.reportFailure();
    assert.fail('camvault admin provision failed');
  }

  await h.startServer();
  await h.launchBrowser();
  // Two contexts: two people with their own cookies.
  pageA = await h.newPage({ label: 'A', failureShot: 'cameras-failure-a.png' });
  pageB = await h.newPage({ label: 'B', failureShot: 'cameras-failure-b.png' });
});

after(() => h.cleanup());

test('bind a camera, share it by invitation, accept, revoke', { timeout: 180_000 }, async () => {
  await h.withDiagnostics(async () => {
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
    let res = await pageA.goto(`${h.base}/cameras/add`);
    assert.equal(res.status(), 200, 'GET /cameras/add');
    await pageA.fill('input[name=serial]', SERIAL);
    await pageA.fill('input[name=verification_code]', CODE);
    await h.shot(pageA, 'cameras-02-a-add.png');
    await submitFormWith(pageA, 'input[name=serial]');
    const cameraPath = await expectPath(pageA, /^\/cameras\/\d+$/);
    let text = await bodyText(pageA);
    assert.ok(text.includes(CAMERA_NAME), `camera page should show ${CAMERA_NAME}; got:\n${text}`);
    assert.ok(text.includes(SERIAL), `camera page should show the serial; got:\n${text}`);
    await assertScriptless(pageA);
    await h.shot(pageA, 'cameras-03-a-camera.png');

    // 3. A opens sharing from the camera page and invites B's email as viewer.
    await pageA.locator(`a[href="${cameraPath}/sharing"]`).click();
    await expectPath(pageA, `${cameraPath}/sharing`);
    text = await bodyText(pageA);
    assert.ok(text.includes('Nobody else has access'), `sharing page before inviting; got:\n${text}`);
    await h.shot(pageA, 'cameras-04-a-sharing.png');
    await pageA.fill('input[name=contact]', b.email);
    await pageA.selectOption('select[name=role]', 'viewer');
    const beforeInvite = h.stdout.mark();
    await submitFormWith(pageA, 'input[name=contact]');
    await expectPath(pageA, `${cameraPath}/sharing`);
    text = await bodyText(pageA);
    assert.ok(text.includes('Invitation sent'), `sharing page after inviting; got:\n${text}`);
    assert.ok(!text.includes(b.email), 'the invited address is shown masked');
    assert.match(text, /e\*\*\*@example\.com/, 'the masked invited address is listed');
    const invitationLine = await h.stdout.waitFor(/was shared with you|invited to the camvault camera/, { since: beforeInvite });
    assert.ok(!invitationLine.input.includes(b.email), `console sender printed the unmasked address: ${invitationLine.input}`);
    await assertScriptless(pageA);
    await h.shot(pageA, 'cameras-05-a-invited.png');
    await pageA.setViewportSize(PHONE);
    await h.shot(pageA, 'cameras-05-a-invited-phone.png');
    await pageA.setViewportSize(DESKTOP);

    // 4. B signs up with the invited email and verifies it.
    await signUp(pageB, b, 'cameras-06-b-verify.png');

    // 5. B sees the invitation from /cameras, opens /invitations and accepts.
    res = await pageB.goto(`${h.base}/cameras`);
    assert.equal(res.status(), 200, 'GET /cameras as B');
    text = await bodyText(pageB);
    assert.ok(text.includes('You have 1 invitation'), `B's camera list should mention the invitation; got:\n${text}`);
    await h.shot(pageB, 'cameras-07-b-cameras-invitation.png');
    await pageB.locator('a[href="/invitations"]', { hasText: 'You have 1 invitation' }).click();
    await expectPath(pageB, '/invitations');
    text = await bodyText(pageB);
    assert.ok(text.includes(CAMERA_NAME) && text.includes('viewer'), `invitations page; got:\n${text}`);
    await assertScriptless(pageB);
    await h.shot(pageB, 'cameras-08-b-invitations.png');
    await pageB.locator('form[action$="/accept"] button[type=submit]').first().click();
    await expectPath(pageB, cameraPath);
    text = await bodyText(pageB);
    assert.ok(text.includes(CAMERA_NAME), `B's camera page; got:\n${text}`);
    assert.match(text, /Your access\s+viewer/, 'B has viewer access');
    assert.ok(text.includes('Leave this camera'), 'B may leave the shared camera');
    await h.shot(pageB, 'cameras-09-b-camera.png');
    res = await pageB.goto(`${h.base}/cameras`);
    assert.equal(res.status(), 200, 'GET /cameras as B after accepting');
    await pageB.locator(`a[href="${cameraPath}"]`).waitFor({ state: 'visible' });
    text = await bodyText(pageB);
    assert.ok(text.includes(CAMERA_NAME) && text.includes('viewer'), `B's camera list after accepting; got:\n${text}`);
    assert.ok(!text.includes('You have 1 invitation'), 'the invitation was answered');
    await h.shot(pageB, 'cameras-10-b-cameras.png');

    // 6. A sees B on the sharing page and revokes B.
    res = await pageA.reload();
    assert.equal(res.status(), 200, 'reload of the sharing page');
    text = await bodyText(pageA);
    assert.ok(text.includes(b.username), `sharing page should list ${b.username}; got:\n${text}`);
    await h.shot(pageA, 'cameras-11-a-sharing-shared.png');
    await pageA.locator('form[action$="/sharing/revoke"] button[type=submit]').first().click();
    await expectPath(pageA, `${cameraPath}/sharing`);
    text = await bodyText(pageA);
    assert.ok(text.includes('Access revoked') && text.includes('Nobody else has access'), `after revoking; got:\n${text}`);
    assert.ok(!text.includes(b.username), 'B is no longer listed');
    await h.shot(pageA, 'cameras-12-a-revoked.png');

    // 7. B's next look at the camera is the not-found page.
    res = await pageB.goto(`${h.base}${cameraPath}`);
    assert.equal(res.status(), 404, 'B gets 404 for the revoked camera');
    text = await bodyText(pageB);
    assert.ok(text.includes('Not found'), `B's not-found page; got:\n${text}`);
    assert.ok(!text.includes(SERIAL), 'the not-found page shows nothing of the camera');
    await assertScriptless(pageB);
    await h.shot(pageB, 'cameras-13-b-not-found.png');

    assert.deepEqual(pageErrors, [], 'JavaScript errors on the pages');
    assert.deepEqual(serverErrors, [], 'server answered with 5xx');
  });
});
