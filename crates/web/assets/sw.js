// camvault service worker: shows Web Push alerts as notifications and
// opens the camera's page when one is clicked. The push message carries
// {event_id, camera_id, camera_name, type, at_ms}; the browser has already
// decrypted it with this subscription's keys.
'use strict';

var KINDS = {
  motion: 'Motion',
  person: 'Person',
  vehicle: 'Vehicle',
  animal: 'Animal',
  sound: 'Sound',
  doorbell: 'Doorbell',
  tamper: 'Tampering'
};

function cameraPath(data) {
  var id = Number(data && data.camera_id);
  return Number.isInteger(id) && id > 0 ? '/cameras/' + id : '/';
}

self.addEventListener('push', function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    // Not JSON: still tell the person something happened.
    data = {};
  }
  var kind = typeof data.type === 'string' ? data.type : 'event';
  var title = typeof data.camera_name === 'string' && data.camera_name
    ? data.camera_name
    : 'camvault';
  var options = {
    body: (KINDS[kind] || kind.replace(/_/g, ' ')) + ' detected',
    // One notification per camera: a new alert replaces the last one.
    tag: 'camvault-camera-' + (data.camera_id || 'unknown'),
    renotify: true,
    timestamp: typeof data.at_ms === 'number' ? data.at_ms : Date.now(),
    data: { url: cameraPath(data) }
  };
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var path = (event.notification.data && event.notification.data.url) || '/';
  var target = new URL(path, self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (windows[i].url === target && 'focus' in windows[i]) {
          return windows[i].focus();
        }
      }
      return self.clients.openWindow(target);
    })
  );
});
