// Browser test of plans and orders against the real server. An
// administrator (made with the CLI) turns on two-step sign-in, adds a plan
// on the billing page; a person signs up, orders the plan with the manual
// payment method and is told how to pay; the administrator, signing in
// again with a recovery code, marks the order paid; the person then sees
// the plan active on their account and orders pages, and prints the invoice.
//
// Run (from the repo root, after `cargo build -p camvault`):
//   node --test e2e/billing.test.mjs

import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { Harness, bodyText, expectPath, serverBin, submitFormWith } from './harness.mjs';

const CLI_TIMEOUT_MS = 60_000;
const ADMIN = 'e2e-boss';
const ADMIN_PASSWORD = 'an admin passphrase for e2e';
const PERSON = 'e2e-payer';
const PERSON_PASSWORD = 'a payer passphrase for e2e';

const SHOTS = ['billing-01-admin-plans.png', 'billing-02-order.png', 'billing-03-marked-paid.png', 'billing-04-active.png', 'billing-05-invoice.png', 'failure.png'];

const h = new Harness({ shots: SHOTS, dataDirPrefix: 'camvault-e2e-billing-' });
let page;

const shot = (name) => h.shot(page, name);

/** RFC 6238 code of a base32 secret at this moment (what an authenticator app shows). */
function totp(base32) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of base32.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const mac = crypto.createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, '0');
}

async function signIn(username, password) {
  await page.goto(`${h.base}/signin`);
  await page.fill('input[name=login]', username);
  await page.fill('input[name=password]', password);
  await submitFormWith(page, 'input[name=login]');
}

async function signOut() {
  await page.locator('form[action="/signout"] button').click();
  await expectPath(page, '/signin');
}

before(async () => {
  h.prepare();
  const made = spawnSync(serverBin, ['admin', 'create-user', '--username', ADMIN, '--admin', '--data-dir', h.dataDir], {
    cwd: h.dataDir,
    env: h.env,
    input: `${ADMIN_PASSWORD}\n`,
    encoding: 'utf8',
    timeout: CLI_TIMEOUT_MS,
  });
  h.notes.push(`--- camvault admin create-user:\n${made.stdout}\n${made.stderr}`);
  assert.equal(made.status, 0, 'camvault admin create-user failed');
  await h.startServer();
  await h.launchBrowser();
  page = await h.newPage({ failureShot: 'failure.png' });
});

after(() => h.cleanup());

test('a plan is ordered with the manual method, marked paid by an administrator, and shows as active', async () => {
  await h.withDiagnostics(async () => {
    // The administrator turns on two-step sign-in, which staff need first.
    await signIn(ADMIN, ADMIN_PASSWORD);
    await expectPath(page, '/account');
    await page.goto(`${h.base}/admin/billing`);
    assert.match(await bodyText(page), /two-step sign-in/i, 'billing opened without a second factor');
    await page.goto(`${h.base}/account`);
    await page.locator('form[action="/account/second-factor"] button').click();
    const secret = (await page.locator('#totp-secret').innerText()).trim();
    await page.fill('input[name=code]', totp(secret));
    await submitFormWith(page, 'input[name=code]');
    const recovery = (await page.locator('#recovery-codes code').allInnerTexts()).map((c) => c.trim());
    assert.ok(recovery.length >= 2, 'no recovery codes shown');

    // …then adds a plan on the billing page.
    await page.goto(`${h.base}/admin/billing`);
    await page.fill('input[name=name]', 'Family');
    await page.fill('input[name=price]', '4.99');
    await page.fill('input[name=retention_days]', '60');
    await page.fill('input[name=cameras]', '4');
    await submitFormWith(page, 'input[name=price]');
    assert.match(await bodyText(page), /Plan Family added/);
    await shot('billing-01-admin-plans.png');
    await signOut();

    // A person signs up, orders the plan and is told how to pay.
    await page.goto(`${h.base}/signup`);
    await page.fill('input[name=username]', PERSON);
    await page.fill('input[name=password]', PERSON_PASSWORD);
    await page.fill('input[name=email]', 'payer@example.com');
    const mark = h.stdout.mark();
    await submitFormWith(page, 'input[name=username]');
    await expectPath(page, '/verify');
    const code = await h.stdout.waitFor(/code (\d{6})/, { since: mark });
    await page.fill('input[name=code]', code[1]);
    await submitFormWith(page, 'input[name=code]');
    await expectPath(page, '/account');
    await page.locator('#plan-link a[href="/plans"]').click();
    await expectPath(page, '/plans');
    assert.match(await bodyText(page), /You are on the free tier/);
    assert.match(await bodyText(page), /4\.99 EUR for 30 days/);
    await page.selectOption('select[name=payment_method]', 'manual');
    await page.locator('form[action="/plans/order"] button').click();
    const orderPath = await expectPath(page, /^\/account\/orders\/CV-\d{4}-\d{6}$/);
    const number = orderPath.split('/').pop();
    assert.match(await page.locator('#how-to-pay').innerText(), new RegExp(`quoting ${number}`));
    await shot('billing-02-order.png');
    await signOut();

    // The administrator signs in with a recovery code and marks it paid.
    await signIn(ADMIN, ADMIN_PASSWORD);
    await expectPath(page, '/signin/second-factor');
    await page.fill('input[name=code]', recovery[0]);
    await submitFormWith(page, 'input[name=code]');
    await expectPath(page, '/account');
    await page.goto(`${h.base}/admin/billing`);
    await page.locator(`form[action="/admin/billing/orders/${number}/paid"] button`).click();
    assert.match(await bodyText(page), new RegExp(`Order ${number} is active now`));
    await shot('billing-03-marked-paid.png');
    await signOut();

    // The person sees the plan active, and prints the invoice.
    await signIn(PERSON, PERSON_PASSWORD);
    await expectPath(page, '/account');
    assert.match(await page.locator('#plan-link').innerText(), /plan Family/);
    await page.goto(`${h.base}/account/orders`);
    assert.match(await page.locator('#plan').innerText(), /Plan Family is active until/);
    assert.match(await page.locator('#orders').innerText(), /active/);
    await shot('billing-04-active.png');
    await page.goto(`${h.base}/orders/${number}/invoice`);
    const invoice = await page.locator('#invoice').innerText();
    for (const part of [number, PERSON, 'payer@example.com', '4.99 EUR', 'Family']) {
      assert.ok(invoice.includes(part), `${part} missing from the invoice`);
    }
    await shot('billing-05-invoice.png');
  });
});
