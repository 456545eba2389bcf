// The events feed: when the "Older events" link scrolls into view, fetch
// that page and append its events, so the list grows as one scrolls. The
// link stays an ordinary link for browsers without script.
(function () {
  'use strict';

  function follow(link, list, watcher) {
    watcher.unobserve(link);
    link.textContent = 'Loading…';
    fetch(link.href, { credentials: 'same-origin' })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.text();
      })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, 'text/html');
        next.querySelectorAll('#feed > li').forEach(function (li) {
          list.appendChild(document.importNode(li, true));
        });
        var more = next.getElementById('feed-more');
        if (more) {
          link.href = more.getAttribute('href');
          link.textContent = 'Older events';
          watcher.observe(link);
        } else {
          link.parentNode.remove();
        }
      })
      .catch(function () {
        link.textContent = 'Older events (could not load; click to retry)';
      });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var list = document.getElementById('feed');
    var link = document.getElementById('feed-more');
    if (!list || !link || !window.IntersectionObserver) return;
    var watcher = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (e.isIntersecting) follow(link, list, watcher);
      });
    });
    watcher.observe(link);
  });
})();
