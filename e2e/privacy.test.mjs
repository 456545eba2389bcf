// Browser test of the privacy center against the real server. A person
// with a camera (provisioned with the CLI, bound on /cameras/add) turns the
// location-tags consent on and off in the privacy center, and each time the
// camera's next upload, tagged with a place, is read back through the
// browser: the place is kept only while the consent holds. A new person asks
// for a copy of their data, downloads the ZIP and opens it, then cancels
// their account, after which signing in is refused.
//
// Run (from the repo root, after `cargo build -p camvault`; needs ffmpeg):
//   node --test e2e/privacy.test.mjs

import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Harness, bodyText, expectPath, serverBin, submitFormWith, watch } from './harness.mjs';

const CLI_TIMEOUT_MS = 60_000;
const FFMPEG_TIMEOUT_MS = 120_000;
const ffmpegBin = process.env.FFMPEG || 'ffmpeg';
const SERIAL = 'E2E-PRIV-0001';
const CODE = 'CODEPRIV';
const SECRET = 'secret-secret-priv';
const DEVICES_CSV = `serial,model,verification_code,device_secret\n${SERIAL},Cube 2,${CODE},${SECRET}\n`;
/** The place a camera with a GPS tags its video with (ISO 6709). */
const PLACE = '+48.8577+002.2950/';

const SHOTS = ['privacy-01-location-on.png', 'privacy-02-location-off.png', '01-privacy-center.png', '02-export-ready.png', '03-cancelled.png', '04-signin-refused.png', 'failure.png'];

const h = new Harness({ shots: SHOTS, dataDirPrefix: 'camvault-e2e-privacy-' });
let page;

const shot = (name) => h.shot(page, name);

before(async () => {
  h.prepare();
  const csv = path.join(h.dataDir, 'devices.csv');
  fs.writeFileSync(csv, DEVICES_CSV);
  const provision = await h.run('camvault admin provision', serverBin, ['admin', 'provision', csv, '--data-dir', h.dataDir], {
    cwd: h.dataDir,
    timeout: CLI_TIMEOUT_MS,
  });
  assert.match(provision.stdout ?? '', /provisioned 1 devices?/, 'camvault admin provision did not report 1 device');
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

/** Signs a new person up through the pages and enters the emailed code. */
async function signUp(username, password, email) {
  await page.goto(`${h.base}/signup`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.fill('input[name=email]', email);
  const mark = h.stdout.mark();
  await submitFormWith(page, 'input[name=username]');
  await expectPath(page, '/verify');
  const code = await h.stdout.waitFor(/code (\d{6})/, { since: mark });
  await page.fill('input[name=code]', code[1]);
  await submitFormWith(page, 'input[name=code]');
  await expectPath(page, '/account');
}

/** An H.264 fMP4 init segment made by ffmpeg. */
async function makeInit(dir) {
  fs.mkdirSync(dir, { recursive: true });
  await h.run('ffmpeg (H.264 fMP4)', ffmpegBin, [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '2',
    '-c:v', 'libx264', '-g', '50', '-pix_fmt', 'yuv420p',
    '-f', 'hls', '-hls_time', '2', '-hls_list_size', '0', '-hls_playlist_type', 'vod',
    '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4',
    '-hls_segment_filename', 'seg%d.m4s', 'clip.m3u8',
  ], { cwd: dir, timeout: FFMPEG_TIMEOUT_MS });
  return fs.readFileSync(path.join(dir, 'init.mp4'));
}

/** One MP4 box: 32-bit size, type, payload. */
function box(type, payload) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + payload.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, payload]);
}

/**
 * `init` with `udta/©xyz` holding `place` appended to its `moov`, as a
 * camera with a GPS writes it (QuickTime user-data text: length, language,
 * text).
 */
function withPlace(init, place) {
  const text = Buffer.alloc(4);
  text.writeUInt16BE(place.length, 0);
  text.writeUInt16BE(0x15c7, 2);
  const udta = box('udta', box('\xa9xyz', Buffer.concat([text, Buffer.from(place, 'latin1')])));
  const out = [];
  for (let at = 0; at < init.length;) {
    const size = init.readUInt32BE(at);
    assert.ok(size >= 8 && at + size <= init.length, `a plain box at ${at} of the init`);
    const type = init.toString('latin1', at + 4, at + 8);
    const whole = init.subarray(at, at + size);
    out.push(type === 'moov' ? box('moov', Buffer.concat([whole.subarray(8), udta])) : whole);
    at += size;
  }
  const tagged = Buffer.concat(out);
  assert.ok(tagged.includes(Buffer.from(place, 'latin1')), 'the tagged init holds the place');
  return tagged;
}

/** Sets one optional consent with its checkbox in the privacy center. */
async function setConsent(purpose, granted, shotName) {
  await page.goto(`${h.base}/privacy-center#consents`);
  const box = page.locator(`#consents input[name=${purpose}]`);
  await box.setChecked(granted);
  await page.locator('#consents button[type=submit]').click();
  await page.getByText('Your consents are saved.').waitFor({ state: 'visible' });
  assert.equal(await page.locator(`#consents input[name=${purpose}]`).isChecked(), granted);
  await shot(shotName);
}

// promise: C4
test('location tags on my video follow my consent from the next upload', { timeout: 180_000 }, async () => {
  await h.withDiagnostics(async () => {
    const suffix = crypto.randomBytes(4).toString('hex');
    const pageErrors = [];
    const serverErrors = [];
    watch(page, pageErrors, serverErrors);
    await signUp(`e2e_loc_${suffix}`, 'correct-horse-battery-staple-43', `e2e-loc-${suffix}@example.com`);

    // Bind the provisioned camera with the code on its label.
    await page.goto(`${h.base}/cameras/add`);
    await page.fill('input[name=serial]', SERIAL);
    await page.fill('input[name=verification_code]', CODE);
    await submitFormWith(page, 'input[name=serial]');
    const cameraId = (await expectPath(page, /^\/cameras\/\d+$/)).split('/')[2];
    const tok = await h.api('POST', '/api/v1/device/token', { body: { serial: SERIAL, secret: SECRET } });
    assert.equal(tok.status, 201, `device token: ${JSON.stringify(tok.body)}`);
    const tagged = withPlace(await makeInit(path.join(h.dataDir, 'clip')), PLACE);

    // The camera uploads a tagged init; the person reads it back as stored.
    const upload = async () => {
      const r = await h.api('PUT', '/api/v1/device/init', { token: tok.body.token, body: tagged, type: 'video/mp4' });
      assert.ok([200, 201].includes(r.status), `init upload: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.init_id;
    };
    const stored = (initId) => page.evaluate(async (url) => {
      const res = await fetch(url);
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, text: new TextDecoder('latin1').decode(bytes) };
    }, `/api/v1/cameras/${cameraId}/recordings/inits/${initId}.mp4`);

    // Granted: the next upload keeps the place.
    await setConsent('location_tags', true, 'privacy-01-location-on.png');
    const kept = await stored(await upload());
    assert.equal(kept.status, 200);
    assert.equal(kept.text.slice(4, 8), 'ftyp');
    assert.ok(kept.text.includes(PLACE), 'the place is kept while the person consents');

    // Withdrawn: the very next upload is stored without it.
    await setConsent('location_tags', false, 'privacy-02-location-off.png');
    const stripped = await stored(await upload());
    assert.equal(stripped.status, 200);
    assert.equal(stripped.text.slice(4, 8), 'ftyp', 'still an MP4 init');
    assert.ok(!stripped.text.includes(PLACE), 'the place is gone once the consent is withdrawn');
    assert.ok(!stripped.text.includes('\xa9xyz'), 'and so is its box');

    assert.deepEqual(pageErrors, [], 'JavaScript errors on the pages');
    assert.deepEqual(serverErrors, [], 'server answered with 5xx');
    await page.context().clearCookies();
  });
});

test('export my data, open it, cancel my account', { timeout: 120_000 }, async () => {
  await h.withDiagnostics(async () => {
    const suffix = crypto.randomBytes(4).toString('hex');
    const username = `e2e_priv_${suffix}`;
    const password = 'correct-horse-battery-staple-42';
    const pageErrors = [];
    const serverErrors = [];
    watch(page, pageErrors, serverErrors);

    await signUp(username, password, `e2e-priv-${suffix}@example.com`);

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
