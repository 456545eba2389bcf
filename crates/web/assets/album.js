// camvault album, on /album: sends the chosen (or dropped) file to the API
// itself so the page can show a progress bar; files over 64 MiB go in 8 MiB pieces, and a
// piece that fails is resumed from where the server says the upload stands.
// Without script the form posts the file as it is.
(function () {
  'use strict';

  var form = document.getElementById('album-upload');
  if (!form || !window.XMLHttpRequest) {
    return;
  }
  var input = document.getElementById('album-file');
  var bar = document.getElementById('album-progress');
  var status = document.getElementById('album-status');
  var WHOLE_LIMIT = 64 * 1024 * 1024;
  var PIECE = 8 * 1024 * 1024;
  var TYPES = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', heic: 'image/heic', heif: 'image/heif', mp4: 'video/mp4', mov: 'video/quicktime' };

  function say(text) {
    status.textContent = text;
  }

  function csrf() {
    return form.querySelector('input[name="csrf"]').value;
  }

  function typeOf(file) {
    if (file.type) {
      return file.type;
    }
    var ext = (file.name.split('.').pop() || '').toLowerCase();
    return TYPES[ext] || 'application/octet-stream';
  }

  // One request; `done(ok, json)`; `progress(sentBytes)` while it goes.
  function send(method, url, type, body, progress, done) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.setRequestHeader('x-csrf-token', csrf());
    if (type) {
      xhr.setRequestHeader('content-type', type);
    }
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        progress(e.loaded);
      }
    };
    xhr.onload = function () {
      var json = null;
      try {
        json = JSON.parse(xhr.responseText);
      } catch (err) {
        json = null;
      }
      done(xhr.status >= 200 && xhr.status < 300, json);
    };
    xhr.onerror = function () {
      done(false, null);
    };
    xhr.send(body);
  }

  function fail(json) {
    bar.hidden = true;
    say(json && json.error ? json.error.message : 'The upload failed; try again.');
  }

  function finished() {
    bar.value = 100;
    say('Uploaded.');
    window.location.reload();
  }

  function whole(file) {
    var url = '/api/v1/me/album?name=' + encodeURIComponent(file.name);
    send('POST', url, typeOf(file), file, function (sent) {
      bar.value = Math.floor((sent / file.size) * 100);
    }, function (ok, json) {
      if (ok) {
        finished();
      } else {
        fail(json);
      }
    });
  }

  function inPieces(file) {
    var body = JSON.stringify({ media_type: typeOf(file), size: file.size, name: file.name });
    send('POST', '/api/v1/me/album/uploads', 'application/json', body, function () {}, function (ok, upload) {
      if (!ok) {
        fail(upload);
        return;
      }
      var tries = 0;
      var next = function (offset) {
        var url = '/api/v1/me/album/uploads/' + upload.id;
        send('PUT', url + '?offset=' + offset, 'application/octet-stream', file.slice(offset, offset + PIECE), function (sent) {
          bar.value = Math.floor(((offset + sent) / file.size) * 100);
        }, function (ok2, state) {
          if (ok2 && state.item) {
            finished();
          } else if (ok2) {
            tries = 0;
            next(state.offset);
          } else if (tries < 3) {
            // Ask where the upload stands, and go on from there.
            tries += 1;
            send('GET', url, null, null, function () {}, function (ok3, now) {
              if (ok3) {
                next(now.offset);
              } else {
                fail(now);
              }
            });
          } else {
            fail(state);
          }
        });
      };
      next(0);
    });
  }

  function start(file) {
    bar.hidden = false;
    bar.value = 0;
    say('Uploading ' + file.name + '…');
    if (file.size > WHOLE_LIMIT) {
      inPieces(file);
    } else {
      whole(file);
    }
  }

  form.addEventListener('submit', function (event) {
    var file = input.files && input.files[0];
    if (!file) {
      return;
    }
    event.preventDefault();
    start(file);
  });

  // A file dropped on the form uploads at once.
  form.addEventListener('dragover', function (event) {
    event.preventDefault();
    form.classList.add('dropping');
  });
  form.addEventListener('dragleave', function () {
    form.classList.remove('dropping');
  });
  form.addEventListener('drop', function (event) {
    event.preventDefault();
    form.classList.remove('dropping');
    var file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) {
      start(file);
    }
  });
})();
