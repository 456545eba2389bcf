// camvault players: live view (fMP4 segments over a WebSocket into
// MediaSource) for every <video data-live-camera>, and on the camera page
// the timeline, playback of recordings (HLS through hls.js) and download.
(function () {
  'use strict';

  var DAY_MS = 86400000;

  function apiOf(cameraId) {
    return '/api/v1/cameras/' + encodeURIComponent(cameraId);
  }

  // One live stream into one <video>. Reconnects after drops, stops for
  // good when the server closes with 4403 (access ended, privacy mode).
  function LivePlayer(video, cameraId, onStatus, onUnsupported) {
    this.video = video;
    this.cameraId = cameraId;
    this.onStatus = onStatus || function () {};
    this.onUnsupported = onUnsupported || function () {};
    this.ws = null;
    this.stopped = false;
  }

  LivePlayer.prototype.start = function () {
    var self = this;
    self.stopped = false;
    var proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    var ws = new WebSocket(proto + '//' + location.host + apiOf(self.cameraId) + '/live');
    ws.binaryType = 'arraybuffer';
    self.ws = ws;
    self.source = null;
    self.buffer = null;
    self.queue = [];
    self.started = false;
    self.onStatus('connecting', 'Connecting…');
    ws.onmessage = function (ev) {
      if (typeof ev.data === 'string') {
        var d = JSON.parse(ev.data);
        if (d.type === 'init') {
          if (!window.MediaSource || !MediaSource.isTypeSupported(d.mime)) {
            self.onUnsupported(d.codec);
            self.stop();
            return;
          }
          self.open(d.mime);
        }
        return;
      }
      self.queue.push(ev.data);
      self.pump();
    };
    ws.onclose = function (ev) {
      if (self.stopped || self.ws !== ws) return;
      if (ev.code === 4403) {
        self.onStatus('ended', 'Live view ended: no access, or privacy mode is on.');
        return;
      }
      self.onStatus('reconnecting', 'Disconnected; reconnecting…');
      setTimeout(function () {
        if (!self.stopped && self.ws === ws) self.start();
      }, 2000);
    };
  };

  // A fresh MediaSource per init: a new init means new codec settings.
  LivePlayer.prototype.open = function (mime) {
    var self = this;
    var source = new MediaSource();
    self.source = source;
    self.buffer = null;
    self.queue = [];
    self.started = false;
    self.video.src = URL.createObjectURL(source);
    source.addEventListener('sourceopen', function () {
      if (self.source !== source) return;
      var sb = source.addSourceBuffer(mime);
      sb.mode = 'segments';
      sb.addEventListener('updateend', function () {
        self.afterAppend();
        self.pump();
      });
      self.buffer = sb;
      self.pump();
    }, { once: true });
  };

  LivePlayer.prototype.pump = function () {
    var sb = this.buffer;
    var v = this.video;
    if (!sb || sb.updating || this.queue.length === 0) return;
    // Keep about half a minute behind the playhead; more only costs memory.
    if (v.buffered.length && v.currentTime - v.buffered.start(0) > 30) {
      sb.remove(v.buffered.start(0), v.currentTime - 10);
      return;
    }
    try {
      sb.appendBuffer(this.queue.shift());
    } catch (e) {
      this.onStatus('error', 'Live view error: ' + e.name);
    }
  };

  LivePlayer.prototype.afterAppend = function () {
    var v = this.video;
    if (!v.buffered.length) return;
    var start = v.buffered.start(0);
    var end = v.buffered.end(v.buffered.length - 1);
    if (!this.started) {
      this.started = true;
      v.currentTime = start;
      var p = v.play();
      if (p && p.catch) p.catch(function () {});
      this.onStatus('live', 'Live');
    } else if (end - v.currentTime > 8) {
      // Fell behind (tab in background): jump back near the live edge.
      v.currentTime = Math.max(start, end - 3);
    }
  };

  LivePlayer.prototype.stop = function () {
    this.stopped = true;
    if (this.ws) this.ws.close();
    this.ws = null;
    this.source = null;
    this.buffer = null;
    this.video.removeAttribute('src');
    this.video.load();
  };

  function unsupportedText(codec) {
    return codec === 'h265'
      ? 'This browser cannot play H.265 video. Recordings can still be downloaded.'
      : 'This browser cannot play this camera\u2019s video format.';
  }

  // Grid tiles: every <video data-live-camera> outside the camera viewer.
  function startTiles() {
    var tiles = document.querySelectorAll('video[data-live-camera]');
    Array.prototype.forEach.call(tiles, function (video) {
      if (video.id === 'video') return;
      var label = video.parentNode.querySelector('.tile-status');
      var player = new LivePlayer(video, video.dataset.liveCamera, function (state, text) {
        if (label) label.textContent = text;
        video.dataset.state = state;
      }, function (codec) {
        if (label) label.textContent = unsupportedText(codec);
        video.dataset.state = 'unsupported';
      });
      player.start();
    });
  }

  function pad(n) {
    return (n < 10 ? '0' : '') + n;
  }

  function localInput(ms) {
    var d = new Date(ms);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) +
      'T' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function localDay(ms) {
    return localInput(ms).slice(0, 10);
  }

  function startViewer() {
    var root = document.getElementById('viewer');
    if (!root) return;
    var cameraId = root.dataset.camera;
    var api = apiOf(cameraId);
    var video = document.getElementById('video');
    var status = document.getElementById('player-status');
    var message = document.getElementById('player-message');
    var liveButton = document.getElementById('go-live');
    var day = document.getElementById('day');
    var bar = document.getElementById('timeline');
    var summary = document.getElementById('timeline-summary');
    var dlFrom = document.getElementById('download-from');
    var dlTo = document.getElementById('download-to');
    var dl = document.getElementById('download');
    var hls = null;
    var spans = [];

    function say(state, text) {
      status.textContent = text;
      root.dataset.state = state;
    }

    function unsupported(codec) {
      message.textContent = unsupportedText(codec || root.dataset.codec);
      message.hidden = false;
      status.textContent = 'Not playable in this browser';
      root.dataset.state = 'unsupported';
    }

    var live = new LivePlayer(video, cameraId, say, unsupported);

    function stopPlayback() {
      if (hls) {
        hls.destroy();
        hls = null;
      }
    }

    function goLive() {
      stopPlayback();
      message.hidden = true;
      root.dataset.mode = 'live';
      live.start();
    }

    function play(from, to) {
      live.stop();
      stopPlayback();
      message.hidden = true;
      root.dataset.mode = 'playback';
      if (!window.Hls || !window.Hls.isSupported()) {
        unsupported(root.dataset.codec);
        return;
      }
      hls = new window.Hls({ enableWorker: false });
      hls.on(window.Hls.Events.ERROR, function (_, d) {
        if (!d.fatal) return;
        if (/Codec|codec/.test(d.details)) unsupported(root.dataset.codec);
        else say('error', 'Playback error: ' + d.details);
      });
      hls.on(window.Hls.Events.MANIFEST_PARSED, function () {
        var p = video.play();
        if (p && p.catch) p.catch(function () {});
      });
      hls.loadSource(api + '/recordings.m3u8?from=' + from + '&to=' + to);
      hls.attachMedia(video);
      say('playback', 'Recording from ' + new Date(from).toLocaleString());
      setDownload(from, to);
    }

    function updateDownload() {
      var f = new Date(dlFrom.value).getTime();
      var t = new Date(dlTo.value).getTime();
      if (f < t) {
        dl.href = api + '/recordings/download.mp4?from=' + f + '&to=' + t;
        dl.removeAttribute('aria-disabled');
      } else {
        dl.removeAttribute('href');
        dl.setAttribute('aria-disabled', 'true');
      }
    }

    function setDownload(from, to) {
      dlFrom.value = localInput(from);
      dlTo.value = localInput(to);
      updateDownload();
    }

    function dayStart() {
      return new Date(day.value + 'T00:00:00').getTime();
    }

    function loadTimeline() {
      var from = dayStart();
      var to = from + DAY_MS;
      fetch(api + '/recordings/timeline?from=' + from + '&to=' + to, { credentials: 'same-origin' })
        .then(function (r) {
          if (!r.ok) throw new Error('HTTP ' + r.status);
          return r.json();
        })
        .then(function (body) {
          spans = body.spans;
          bar.replaceChildren();
          spans.forEach(function (s) {
            var a = Math.max(s.start_ms, from);
            var b = Math.min(s.end_ms, to);
            var el = document.createElement('span');
            el.className = 'span';
            el.style.left = ((a - from) / DAY_MS * 100) + '%';
            el.style.width = Math.max(0.15, (b - a) / DAY_MS * 100) + '%';
            el.title = new Date(a).toLocaleTimeString() + ' – ' + new Date(b).toLocaleTimeString();
            bar.appendChild(el);
          });
          root.dataset.spans = String(spans.length);
          loadMarkers(from, to);
          summary.textContent = spans.length
            ? spans.length + ' recorded stretch' + (spans.length === 1 ? '' : 'es') + '. Click the bar to play from that time.'
            : 'No recordings on this day.';
          if (spans.length && !dlFrom.value) {
            var last = spans[spans.length - 1];
            setDownload(Math.max(last.start_ms, last.end_ms - 60000), last.end_ms);
          }
        })
        .catch(function (e) {
          summary.textContent = 'Could not load the timeline (' + e.message + ').';
        });
    }

    // Event markers on the bar: a click on one plays that event's clip.
    function loadMarkers(from, to) {
      fetch(api + '/events?from=' + from + '&to=' + to + '&limit=500', { credentials: 'same-origin' })
        .then(function (r) {
          if (!r.ok) throw new Error('HTTP ' + r.status);
          return r.json();
        })
        .then(function (events) {
          bar.querySelectorAll('span.marker').forEach(function (m) { m.remove(); });
          events.forEach(function (e) {
            var m = document.createElement('span');
            m.className = 'marker';
            m.dataset.at = String(e.at_ms);
            m.style.left = ((e.at_ms - from) / DAY_MS * 100) + '%';
            m.title = e.type + ' at ' + new Date(e.at_ms).toLocaleTimeString();
            bar.appendChild(m);
          });
          root.dataset.markers = String(events.length);
        })
        .catch(function () {
          // Markers are a convenience; the spans are already drawn.
        });
    }

    bar.addEventListener('click', function (ev) {
      var marker = ev.target.closest('span.marker');
      if (marker) {
        var t = Number(marker.dataset.at);
        play(t - 5000, t + 15000);
        return;
      }
      var box = bar.getBoundingClientRect();
      var at = dayStart() + (ev.clientX - box.left) / box.width * DAY_MS;
      // The stretch under the click, else the next one after it.
      for (var i = 0; i < spans.length; i++) {
        var s = spans[i];
        if (s.end_ms > at) {
          var from = Math.max(s.start_ms, Math.floor(at));
          play(from, s.end_ms);
          return;
        }
      }
      summary.textContent = 'Nothing recorded after that time on this day.';
    });
    // Events: "Play clip" plays from a little before to a little after;
    // new events of this camera arrive through the alert stream.
    var eventList = document.getElementById('event-list');
    if (eventList) {
      eventList.addEventListener('click', function (ev) {
        var button = ev.target.closest('button[data-play]');
        if (!button) return;
        var at = Number(button.dataset.play);
        play(at - 5000, at + 15000);
      });
      if (window.EventSource) {
        var alerts = new EventSource('/api/v1/me/alerts/stream');
        alerts.addEventListener('alert', function (ev) {
          var a = JSON.parse(ev.data);
          if (String(a.camera_id) !== String(cameraId)) return;
          eventList.insertBefore(eventItem(a), eventList.firstChild);
          var empty = document.getElementById('events-empty');
          if (empty) empty.remove();
          loadTimeline();
        });
      }
    }

    function eventItem(a) {
      var li = document.createElement('li');
      li.className = 'event new';
      li.dataset.at = String(a.at_ms);
      if (a.has_snapshot) {
        var img = document.createElement('img');
        img.src = api + '/events/' + a.event_id + '/snapshot.jpg';
        img.alt = a.kind + ' snapshot';
        img.width = 160;
        img.height = 90;
        li.appendChild(img);
      }
      var text = document.createElement('span');
      text.className = 'event-text';
      var strong = document.createElement('strong');
      strong.textContent = a.kind;
      var time = document.createElement('time');
      time.dateTime = new Date(a.at_ms).toISOString();
      time.textContent = new Date(a.at_ms).toLocaleString();
      text.appendChild(strong);
      text.appendChild(document.createTextNode(' '));
      text.appendChild(time);
      li.appendChild(text);
      li.appendChild(document.createTextNode(' '));
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary';
      button.dataset.play = String(a.at_ms);
      button.textContent = 'Play clip';
      li.appendChild(button);
      return li;
    }

    liveButton.addEventListener('click', goLive);
    day.addEventListener('change', loadTimeline);
    dlFrom.addEventListener('change', updateDownload);
    dlTo.addEventListener('change', updateDownload);

    // `?play=<ms>` (links from the events feed) opens on that event's clip.
    var asked = Number(new URLSearchParams(window.location.search).get('play'));
    if (asked > 0) {
      day.value = localDay(asked);
      loadTimeline();
      play(asked - 5000, asked + 15000);
    } else {
      day.value = localDay(Date.now());
      loadTimeline();
      goLive();
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    startViewer();
    startTiles();
  });
})();
