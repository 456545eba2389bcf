// Browser test of live view, recordings and download on the real camvault
// server started with `serve --demo`: the demo account signs in, the demo
// camera's live view really plays (time advances, frames are not blank), a
// click on the day timeline plays the recording through hls.js, the download
// link serves an MP4, and an H.265 camera (provisioned with the CLI, bound on
// /cameras/add, fed an ffmpeg-made init and segments through the device API)
// shows the "cannot play H.265" message instead of a black box. Finally the
// cameras grid plays the demo camera's tile and marks the H.265 tile. An
// event the H.265 camera reports appears on its open page within 2 s, and
// clicking a demo motion event plays its clip; the timeline marks events and
// the events feed (/events) opens a clip on the camera page.
//
// Debian's Chromium plays H.264/AAC through MediaSource but not H.265, which
// is what the H.265 step relies on.
//
// Run (from the repo root, after `cargo build -p camvault`; needs ffmpeg with libx265):
//   node --test e2e/recordings.test.mjs
// Env: CAMVAULT_BIN (default target/debug/camvault), CHROMIUM (default /usr/bin/chromium),
// FFMPEG (default ffmpeg).
// Screenshots: target/e2e-screenshots/recordings-*.png.

import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Harness, bodyText, expectPath, repoRoot, serverBin, submitFormWith, watch } from './harness.mjs';

const CLI_TIMEOUT_MS = 60_000;
const FFMPEG_TIMEOUT_MS = 120_000;
/** Waits for media to start: the debug server, two cores, software decoding. */
const MEDIA_TIMEOUT_MS = 60_000;
/** How far `currentTime` must move to count as playing, in seconds. */
const ADVANCE_S = 1.5;
/** The shortest recorded stretch the playback step waits for, in ms. */
const MIN_SPAN_MS = 6_000;
const DAY_MS = 86_400_000;

const ffmpegBin = process.env.FFMPEG || 'ffmpeg';

const DEMO_SERIAL = 'DEMO-0001';
const H265_SERIAL = 'E2E-H265-0001';
const H265_CODE = 'CODEH265';
const H265_SECRET = 'secret-secret-h265';
const DEVICES_CSV = `serial,model,verification_code,device_secret\n${H265_SERIAL},Cube 2,${H265_CODE},${H265_SECRET}\n`;

const SHOTS = [
  'recordings-01-live.png',
  'recordings-02-playback.png',
  'recordings-03-h265-add.png',
  'recordings-04-h265-unsupported.png',
  'recordings-05-grid.png',
  'recordings-06-event-live.png',
  'recordings-07-event-clip.png',
  'recordings-08-feed-clip.png',
  'recordings-failure.png',
];

const h = new Harness({ shots: SHOTS, dataDirPrefix: 'camvault-e2e-recordings-' });
let page;
let demoPassword;
const pageErrors = [];
const serverErrors = [];
// Shared between the steps (they run in order).
let demoCameraPath; // /cameras/{id} of DEMO-0001
let demoCameraId;
let h265CameraId;
let h265Token;

/** Keeps a measurement for the failure report and prints it. */
function note(line) {
  h.notes.push(line);
  console.log(line);
}

/**
 * Makes 4 s of H.265 (hvc1, 640x360, one keyframe every 2 s) as fMP4 HLS:
 * an init segment and two 2 s media segments. Returns their bytes.
 */
async function makeH265(dir) {
  fs.mkdirSync(dir, { recursive: true });
  await h.run('ffmpeg (H.265 fMP4)', ffmpegBin, [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
    '-t', '4',
    '-c:v', 'libx265', '-x265-params', 'keyint=50:min-keyint=50:scenecut=0:log-level=error',
    '-tag:v', 'hvc1', '-pix_fmt', 'yuv420p',
    '-f', 'hls', '-hls_time', '2', '-hls_list_size', '0', '-hls_playlist_type', 'vod',
    '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4',
    '-hls_segment_filename', 'seg%d.m4s',
    'h265.m3u8',
  ], { cwd: dir, timeout: FFMPEG_TIMEOUT_MS });
  const init = fs.readFileSync(path.join(dir, 'init.mp4'));
  const segments = fs.readdirSync(dir)
    .filter((f) => /^seg\d+\.m4s$/.test(f))
    .sort((a, b) => Number(a.match(/\d+/)[0]) - Number(b.match(/\d+/)[0]))
    .map((f) => fs.readFileSync(path.join(dir, f)));
  assert.equal(init.subarray(4, 8).toString('latin1'), 'ftyp', 'ffmpeg init segment starts with ftyp');
  assert.ok(segments.length >= 1, `ffmpeg made no media segments in ${dir}`);
  return { init, segments };
}

/** The `<video>` matched by `selector`: time, readiness, size and error, for messages. */
function videoState(selector) {
  return page.evaluate((sel) => {
    const v = document.querySelector(sel);
    if (!v) return null;
    return {
      currentTime: v.currentTime,
      readyState: v.readyState,
      paused: v.paused,
      videoWidth: v.videoWidth,
      videoHeight: v.videoHeight,
      currentSrc: v.currentSrc,
      buffered: Array.from({ length: v.buffered.length }, (_, i) => [v.buffered.start(i), v.buffered.end(i)]),
      error: v.error && `${v.error.code} ${v.error.message}`,
      state: v.dataset.state,
    };
  }, selector);
}

/**
 * Waits until the video has a decoded frame, then until its `currentTime`
 * has moved on by `ADVANCE_S` seconds; returns the two times.
 */
async function assertPlays(selector, what) {
  try {
    await page.waitForFunction(
      (sel) => {
        const v = document.querySelector(sel);
        return v && v.readyState >= 2 && v.videoWidth > 0;
      },
      selector,
      { timeout: MEDIA_TIMEOUT_MS, polling: 250 },
    );
  } catch (err) {
    assert.fail(`${what}: no decoded frame within ${MEDIA_TIMEOUT_MS} ms: ${JSON.stringify(await videoState(selector))} (${err.message})`);
  }
  const t0 = (await videoState(selector)).currentTime;
  try {
    await page.waitForFunction(
      ([sel, from, by]) => {
        const v = document.querySelector(sel);
        return v && v.currentTime >= from + by;
      },
      [selector, t0, ADVANCE_S],
      { timeout: MEDIA_TIMEOUT_MS, polling: 250 },
    );
  } catch (err) {
    assert.fail(`${what}: currentTime stuck near ${t0}: ${JSON.stringify(await videoState(selector))} (${err.message})`);
  }
  const t1 = (await videoState(selector)).currentTime;
  return { t0, t1 };
}

/**
 * Draws the video's current frame into a small canvas and returns the
 * spread of its luminance and how many distinct (coarse) colours it has:
 * a black or flat frame has neither.
 */
function frameStats(selector) {
  return page.evaluate((sel) => {
    const v = document.querySelector(sel);
    const c = document.createElement('canvas');
    c.width = 160;
    c.height = 90;
    const g = c.getContext('2d', { willReadFrequently: true });
    g.drawImage(v, 0, 0, c.width, c.height);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    let sum = 0;
    let sq = 0;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4) {
      const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
      sum += y;
      sq += y * y;
      n++;
      colours.add(((d[i] >> 5) << 6) | ((d[i + 1] >> 5) << 3) | (d[i + 2] >> 5));
    }
    const mean = sum / n;
    return { mean, std: Math.sqrt(Math.max(0, sq / n - mean * mean)), colours: colours.size };
  }, selector);
}

async function assertFrameNotBlank(selector, what) {
  const stats = await frameStats(selector);
  // testsrc2 is colour bars, a gradient and moving shapes: a large spread.
  assert.ok(stats.std > 25 && stats.colours >= 8, `${what}: the drawn frame looks blank: ${JSON.stringify(stats)}`);
  return stats;
}

/** The camera page's timeline of today (the page's #day) through the JSON API. */
function timelineOfDay(cameraId) {
  return page.evaluate(async ([id, dayMs]) => {
    const from = new Date(document.getElementById('day').value + 'T00:00:00').getTime();
    const r = await fetch(`/api/v1/cameras/${id}/recordings/timeline?from=${from}&to=${from + dayMs}`, { credentials: 'same-origin' });
    return { status: r.status, body: r.ok ? await r.json() : await r.text() };
  }, [cameraId, DAY_MS]);
}

before(async () => {
  h.prepare();

  // The H.265 camera's batch, imported with the CLI before the server runs.
  const csv = path.join(h.dataDir, 'devices.csv');
  fs.writeFileSync(csv, DEVICES_CSV);
  const provision = await h.run('camvault admin provision', serverBin, ['admin', 'provision', csv, '--data-dir', h.dataDir], {
    cwd: h.dataDir,
    timeout: CLI_TIMEOUT_MS,
  });
  if (!/provisioned 1 devices?/.test(provision.stdout ?? '')) {
    await h.reportFailure();
    assert.fail('camvault admin provision did not report 1 device');
  }

  await h.startServer({ serveArgs: ['--demo'] });
  try {
    const m = await h.stdout.waitFor(/demo account: demo \/ (\S+) — sign in at (\S+)\/signin/);
    demoPassword = m[1];
    assert.equal(m[2], h.base, 'the demo line names the server');
  } catch (err) {
    await h.reportFailure();
    throw err;
  }
  await h.launchBrowser();
  page = await h.newPage({ label: 'demo', failureShot: 'recordings-failure.png' });
  watch(page, pageErrors, serverErrors);
});

after(() => h.cleanup());

test('the demo account signs in and has the demo camera', { timeout: 60_000 }, async () => {
  await h.withDiagnostics(async () => {
    const res = await page.goto(`${h.base}/signin`);
    assert.equal(res.status(), 200, 'GET /signin');
    await page.fill('input[name=login]', 'demo');
    await page.fill('input[name=password]', demoPassword);
    await submitFormWith(page, 'input[name=login]');
    await expectPath(page, '/account');

    await page.goto(`${h.base}/cameras`);
    const item = page.locator('li', { hasText: DEMO_SERIAL });
    await item.first().waitFor({ state: 'visible' });
    demoCameraPath = await item.first().locator('a[href^="/cameras/"]').first().getAttribute('href');
    assert.match(demoCameraPath, /^\/cameras\/\d+$/, 'link to the demo camera');
    demoCameraId = demoCameraPath.split('/')[2];
  });
});

test('live view of the demo camera plays real frames', { timeout: 120_000 }, async () => {
  await h.withDiagnostics(async () => {
    const res = await page.goto(`${h.base}${demoCameraPath}`);
    assert.equal(res.status(), 200, `GET ${demoCameraPath}`);
    const viewer = page.locator('#viewer');
    assert.equal(await viewer.getAttribute('data-camera'), demoCameraId, 'viewer is for the demo camera');

    await page.locator('#viewer[data-state="live"]').waitFor({ state: 'attached', timeout: MEDIA_TIMEOUT_MS });
    assert.equal(await viewer.getAttribute('data-mode'), 'live');
    const { t0, t1 } = await assertPlays('#video', 'live view');
    const stats = await assertFrameNotBlank('#video', 'live view');
    const v = await videoState('#video');
    assert.equal(v.videoWidth, 1280, 'the demo clip is 1280 wide');
    assert.ok(await page.locator('#player-message').isHidden(), 'no player message while live');
    assert.equal((await page.locator('#player-status').innerText()).trim(), 'Live');
    note(`live: currentTime ${t0.toFixed(2)} -> ${t1.toFixed(2)}, frame ${JSON.stringify(stats)}`);
    await h.shot(page, 'recordings-01-live.png');
  });
});

test('a click on the timeline plays the recording', { timeout: 180_000 }, async () => {
  await h.withDiagnostics(async () => {
    // The simulated camera stores a 2 s segment every 2 s; wait for a
    // stretch long enough to watch time move in.
    const deadline = Date.now() + 90_000;
    let tl;
    for (;;) {
      tl = await timelineOfDay(demoCameraId);
      assert.equal(tl.status, 200, `timeline API: ${JSON.stringify(tl.body)}`);
      const last = tl.body.spans.at(-1);
      if (last && last.end_ms - last.start_ms >= MIN_SPAN_MS) break;
      assert.ok(Date.now() < deadline, `no recorded stretch of ${MIN_SPAN_MS} ms yet: ${JSON.stringify(tl.body)}`);
      await page.waitForTimeout(1000);
    }
    // Reload the page's timeline by "changing" the day.
    await page.evaluate(() => document.getElementById('day').dispatchEvent(new Event('change')));
    await page.waitForFunction(() => Number(document.getElementById('viewer').dataset.spans) >= 1, null, { timeout: 30_000 });
    const spans = page.locator('#timeline span.span');
    assert.ok((await spans.count()) >= 1, 'the timeline shows the recorded stretches');
    assert.equal(await spans.count(), Number(await page.locator('#viewer').getAttribute('data-spans')));
    assert.match(await page.locator('#timeline-summary').innerText(), /recorded stretch/);

    // Click just left of the last stretch's start: "the stretch under the
    // click, else the next one after it" is then this one, whatever a pixel
    // of a 24 h bar rounds to.
    const bar = await page.locator('#timeline').boundingBox();
    const span = await spans.last().boundingBox();
    const x = Math.max(bar.x + 0.5, span.x - 1);
    await page.mouse.click(x, bar.y + bar.height / 2);

    await page.locator('#viewer[data-mode="playback"]').waitFor({ state: 'attached', timeout: 10_000 });
    await page.locator('#viewer[data-state="playback"]').waitFor({ state: 'attached', timeout: 10_000 });
    assert.match(await page.locator('#player-status').innerText(), /^Recording from /);
    const { t0, t1 } = await assertPlays('#video', 'playback');
    const stats = await assertFrameNotBlank('#video', 'playback');
    assert.ok(await page.locator('#player-message').isHidden(), 'no player message in playback');
    const v = await videoState('#video');
    assert.match(v.currentSrc, /^blob:/, 'hls.js plays through MediaSource');
    assert.equal(await page.locator('#viewer').getAttribute('data-state'), 'playback', 'still in playback, no error');
    note(`playback: currentTime ${t0.toFixed(2)} -> ${t1.toFixed(2)}, frame ${JSON.stringify(stats)}`);
    await h.shot(page, 'recordings-02-playback.png');
  });
});

test('the download link serves an MP4 of the recording', { timeout: 120_000 }, async () => {
  await h.withDiagnostics(async () => {
    const link = page.locator('#download');
    const href = await link.getAttribute('href');
    assert.ok(href, 'the download link has an href once a stretch is chosen');
    assert.equal(await link.getAttribute('aria-disabled'), null, 'the download link is enabled');
    const url = new URL(href, h.base);
    assert.equal(url.pathname, `/api/v1/cameras/${demoCameraId}/recordings/download.mp4`);
    const from = Number(url.searchParams.get('from'));
    const to = Number(url.searchParams.get('to'));
    assert.ok(Number.isInteger(from) && Number.isInteger(to) && from < to, `download range from=${from} to=${to}`);

    // As the browser fetches it, with the session cookie.
    const res = await page.request.get(url.href, { timeout: 60_000 });
    assert.equal(res.status(), 200, `GET ${url.pathname}${url.search}`);
    assert.match(res.headers()['content-type'] ?? '', /^video\/mp4\b/, 'Content-Type');
    const body = await res.body();
    assert.ok(body.length > 100_000, `download is only ${body.length} bytes`);
    assert.equal(body.subarray(4, 8).toString('latin1'), 'ftyp', 'the download starts with an ftyp box');

    // And as a person clicks it: a download of the same file.
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), link.click()]);
    assert.equal(await download.failure(), null, 'the download did not fail');
    const saved = fs.readFileSync(await download.path());
    assert.ok(saved.length > 100_000, `saved download is only ${saved.length} bytes`);
    assert.equal(saved.subarray(4, 8).toString('latin1'), 'ftyp', 'the saved download starts with an ftyp box');
    assert.match(download.suggestedFilename(), /\.mp4$/, 'suggested file name');
    note(`download: ${body.length} bytes fetched, ${saved.length} bytes saved as ${download.suggestedFilename()}`);
  });
});

test('an H.265 camera says the browser cannot play it', { timeout: 240_000 }, async () => {
  await h.withDiagnostics(async () => {
    const hevcSupported = await page.evaluate(() => window.MediaSource && MediaSource.isTypeSupported('video/mp4; codecs="hvc1.1.6.L93.B0"'));
    note(`this Chromium: MediaSource supports hvc1: ${hevcSupported}`);
    assert.equal(hevcSupported, false, 'this test needs a Chromium without H.265 in MediaSource (Debian\'s)');

    const media = await makeH265(path.join(h.dataDir, 'h265'));

    // Bind the provisioned camera with the code on its label.
    let res = await page.goto(`${h.base}/cameras/add`);
    assert.equal(res.status(), 200, 'GET /cameras/add');
    await page.fill('input[name=serial]', H265_SERIAL);
    await page.fill('input[name=verification_code]', H265_CODE);
    await h.shot(page, 'recordings-03-h265-add.png');
    await submitFormWith(page, 'input[name=serial]');
    const cameraPath = await expectPath(page, /^\/cameras\/\d+$/);
    h265CameraId = cameraPath.split('/')[2];
    assert.notEqual(h265CameraId, demoCameraId);
    assert.ok((await bodyText(page)).includes(H265_SERIAL), 'the camera page shows the serial');

    // The page is open and waiting for live video; now the camera uploads.
    const tok = await h.api('POST', '/api/v1/device/token', { body: { serial: H265_SERIAL, secret: H265_SECRET } });
    assert.equal(tok.status, 201, `device token: ${JSON.stringify(tok.body)}`);
    const token = tok.body.token;
    h265Token = token;
    const init = await h.api('PUT', '/api/v1/device/init', { token, body: media.init, type: 'video/mp4' });
    assert.ok([200, 201].includes(init.status), `init upload: ${init.status} ${JSON.stringify(init.body)}`);
    const initId = init.body.init_id;
    const start = Date.now() - 2000 * media.segments.length;
    for (const [i, seg] of media.segments.entries()) {
      const up = await h.api('PUT', `/api/v1/device/segments/e2e-h265-${i}?init_id=${initId}&start_ms=${start + 2000 * i}`, {
        token,
        body: seg,
        type: 'video/iso.segment',
      });
      assert.equal(up.status, 201, `segment ${i} upload: ${JSON.stringify(up.body)}`);
    }

    /** The viewer says "cannot play H.265" and does not pretend to play. */
    const assertUnsupported = async (what) => {
      const message = page.locator('#player-message');
      await message.waitFor({ state: 'visible', timeout: MEDIA_TIMEOUT_MS });
      assert.match(await message.innerText(), /H\.265/, `${what}: the message names H.265`);
      assert.equal(await page.locator('#viewer').getAttribute('data-state'), 'unsupported', `${what}: viewer state`);
      const v = await videoState('#video');
      assert.ok(v.readyState === 0 && !v.currentSrc && v.videoWidth === 0, `${what}: the video element must not be playing anything: ${JSON.stringify(v)}`);
      assert.notEqual((await page.locator('#player-status').innerText()).trim(), 'Live', `${what}: status must not say Live`);
    };
    // A page that was open when the first H.265 segment arrived …
    await assertUnsupported('open page');
    // … and a fresh one, which gets the camera's newest segment at once.
    res = await page.reload();
    assert.equal(res.status(), 200, `reload ${cameraPath}`);
    await assertUnsupported('reloaded page');
    // Its recordings are still listed (and downloadable, as the message says).
    await page.waitForFunction(() => Number(document.getElementById('viewer').dataset.spans) >= 1, null, { timeout: 30_000 });
    assert.ok(await page.locator('#download').getAttribute('href'), 'the H.265 recording has a download link');
    await h.shot(page, 'recordings-04-h265-unsupported.png');
  });
});

test('a new event appears on the open camera page within 2 s', { timeout: 60_000 }, async () => {
  await h.withDiagnostics(async () => {
    // The H.265 camera's page is open; its camera now reports a person.
    const items = page.locator('#event-list li.event');
    const before = await items.count();
    const snapshot = fs.readFileSync(path.join(repoRoot, 'crates', 'media', 'demo', 'demo-snapshot.jpg'));
    const form = new FormData();
    form.append('event', JSON.stringify({ type: 'person', at_ms: Date.now(), labels: ['e2e'] }));
    form.append('snapshot', new Blob([snapshot], { type: 'image/jpeg' }), 'snapshot.jpg');
    const sent = Date.now();
    const res = await fetch(`${h.base}/api/v1/device/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h265Token}` },
      body: form,
    });
    assert.equal(res.status, 201, `event: ${await res.text()}`);
    await page.waitForFunction((n) => document.querySelectorAll('#event-list li.event').length > n, before, { timeout: 10_000 });
    const took = Date.now() - sent;
    note(`event on the page ${took} ms after the camera sent it`);
    assert.ok(took < 2000, `the event took ${took} ms to appear`);
    const first = items.first();
    assert.match(await first.innerText(), /person/);
    await first.locator('img').waitFor({ state: 'visible', timeout: 10_000 });
    assert.ok(await first.locator('img').evaluate((img) => img.complete && img.naturalWidth === 640), 'the snapshot loads');
    await h.shot(page, 'recordings-06-event-live.png');
  });
});

test('clicking an event plays its clip', { timeout: 180_000 }, async () => {
  await h.withDiagnostics(async () => {
    const res = await page.goto(`${h.base}${demoCameraPath}`);
    assert.equal(res.status(), 200, `GET ${demoCameraPath}`);
    // The demo camera reports motion every 20 s; the list updates by itself.
    const play = page.locator('#event-list button[data-play]').first();
    await play.waitFor({ state: 'visible', timeout: 60_000 });
    // Its clip must be recorded: the event is 1 s into a segment and the
    // clip runs 15 s after it.
    const at = Number(await play.getAttribute('data-play'));
    const wait = at + 8_000 - Date.now();
    if (wait > 0) await page.waitForTimeout(wait);
    await play.click();
    await page.waitForFunction(() => document.getElementById('viewer').dataset.mode === 'playback', null, { timeout: 10_000 });
    await assertPlays('#video', 'event clip');
    await h.shot(page, 'recordings-07-event-clip.png');
  });
});

test('the timeline marks events and the events feed opens their clips', { timeout: 180_000 }, async () => {
  await h.withDiagnostics(async () => {
    // The demo camera page from the previous test: its motion events are on the bar.
    const marker = page.locator('#timeline span.marker').first();
    await marker.waitFor({ state: 'attached', timeout: 30_000 });
    await marker.click({ force: true });
    await page.waitForFunction(() => document.getElementById('viewer').dataset.mode === 'playback', null, { timeout: 10_000 });

    const res = await page.goto(`${h.base}/events?camera=${demoCameraId}`);
    assert.equal(res.status(), 200, 'GET /events');
    const link = page.locator('#feed li.event a[href*="?play="]').first();
    await link.waitFor({ state: 'visible', timeout: 10_000 });
    const at = Number(new URL(await link.getAttribute('href'), h.base).searchParams.get('play'));
    const wait = at + 8_000 - Date.now();
    if (wait > 0) await page.waitForTimeout(wait);
    await link.click();
    await page.waitForFunction(() => document.getElementById('viewer').dataset.mode === 'playback', null, { timeout: 10_000 });
    await assertPlays('#video', 'clip from the events feed');
    await h.shot(page, 'recordings-08-feed-clip.png');
  });
});

test('the cameras grid plays the demo camera live', { timeout: 120_000 }, async () => {
  await h.withDiagnostics(async () => {
    const res = await page.goto(`${h.base}/cameras`);
    assert.equal(res.status(), 200, 'GET /cameras');
    const demoTile = `video[data-live-camera="${demoCameraId}"]`;
    await page.locator(`${demoTile}[data-state="live"]`).waitFor({ state: 'attached', timeout: MEDIA_TIMEOUT_MS });
    const { t0, t1 } = await assertPlays(demoTile, 'demo tile');
    await assertFrameNotBlank(demoTile, 'demo tile');
    assert.equal(
      (await page.locator('li', { has: page.locator(demoTile) }).locator('.tile-status').innerText()).trim(),
      'Live',
      'demo tile status',
    );
    note(`grid tile: currentTime ${t0.toFixed(2)} -> ${t1.toFixed(2)}`);

    // The H.265 camera's tile says why it shows nothing.
    const hevcTile = `video[data-live-camera="${h265CameraId}"]`;
    await page.locator(`${hevcTile}[data-state="unsupported"]`).waitFor({ state: 'attached', timeout: MEDIA_TIMEOUT_MS });
    assert.match(await page.locator('li', { has: page.locator(hevcTile) }).locator('.tile-status').innerText(), /H\.265/);
    await h.shot(page, 'recordings-05-grid.png');

    assert.deepEqual(pageErrors, [], 'JavaScript errors on the pages');
    assert.deepEqual(serverErrors, [], 'server answered with 5xx');
  });
});
