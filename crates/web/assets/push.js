// camvault Web Push, on the alerts page: the button registers the service
// worker (/sw.js), subscribes this browser with the server's VAPID key and
// saves the subscription for the signed-in person; "Remove" buttons
// unsubscribe a listed browser. Without script the page explains why.
(function () {
  'use strict';

  var button = document.getElementById('push-enable');
  if (!button) {
    return;
  }
  var status = document.getElementById('push-status');

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  // The session's CSRF token, from the page's forms.
  function csrfToken() {
    var input = document.querySelector('input[name="csrf"]');
    return input ? input.value : '';
  }

  function call(url, options) {
    options.credentials = 'same-origin';
    return fetch(url, options).then(function (response) {
      if (response.status === 204) {
        return {};
      }
      return response.json().catch(function () {
        return {};
      }).then(function (body) {
        if (!response.ok) {
          throw new Error((body.error && body.error.message) ||
            'The server answered ' + response.status + '.');
        }
        return body;
      });
    });
  }

  function keyBytes(base64url) {
    var b64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) {
      b64 += '=';
    }
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      out[i] = raw.charCodeAt(i);
    }
    return out;
  }

  function sameKey(buffer, bytes) {
    var a = new Uint8Array(buffer);
    if (a.length !== bytes.length) {
      return false;
    }
    for (var i = 0; i < a.length; i++) {
      if (a[i] !== bytes[i]) {
        return false;
      }
    }
    return true;
  }

  var removers = document.querySelectorAll('[data-push-remove]');
  for (var i = 0; i < removers.length; i++) {
    removers[i].hidden = false;
    removers[i].addEventListener('click', function (ev) {
      var id = ev.currentTarget.getAttribute('data-push-remove');
      ev.currentTarget.disabled = true;
      call('/api/v1/me/push-subscriptions/' + encodeURIComponent(id), {
        method: 'DELETE',
        headers: { 'x-csrf-token': csrfToken() }
      }).then(function () {
        location.assign('/alerts?done=push-removed');
      }).catch(function (e) {
        say(e.message);
      });
    });
  }

  if (!('serviceWorker' in navigator) || !('PushManager' in window) ||
      !('Notification' in window)) {
    say('This browser cannot receive push notifications.');
    return;
  }
  if (!window.isSecureContext) {
    say('Push notifications need this site to be opened over https.');
    return;
  }
  button.hidden = false;
  say('');

  function subscribe(registration, key) {
    return registration.pushManager.getSubscription().then(function (old) {
      // A subscription made for another server key cannot be reused.
      if (old && old.options && old.options.applicationServerKey &&
          !sameKey(old.options.applicationServerKey, key)) {
        return old.unsubscribe().then(function () {
          return null;
        });
      }
      return old;
    }).then(function (existing) {
      return existing || registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: key
      });
    });
  }

  button.addEventListener('click', function () {
    button.disabled = true;
    say('Asking for permission…');
    Notification.requestPermission().then(function (permission) {
      if (permission !== 'granted') {
        throw new Error('Notifications are blocked for this site; allow them in the browser\'s site settings.');
      }
      say('Subscribing…');
      return Promise.all([
        navigator.serviceWorker.register('/sw.js', { scope: '/' }).then(function () {
          return navigator.serviceWorker.ready;
        }),
        call('/api/v1/push/vapid-public-key', { method: 'GET' })
      ]);
    }).then(function (ready) {
      return subscribe(ready[0], keyBytes(ready[1].public_key));
    }).then(function (subscription) {
      return call('/api/v1/me/push-subscriptions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken() },
        body: JSON.stringify(subscription)
      });
    }).then(function () {
      location.assign('/alerts?done=push');
    }).catch(function (e) {
      say(e && e.message ? e.message : 'Push notifications could not be turned on.');
      button.disabled = false;
    });
  });
})();
