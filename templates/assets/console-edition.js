// The edition page's live counts: while the edition sends, its counts are fetched (same origin,
// the session's cookie) every 2 seconds and written into the page. Without this script the page
// shows the counts of its loading, and a reload shows new ones.
(function () {
  var box = document.querySelector('[data-counts-url]');
  if (!box) return;
  var url = box.getAttribute('data-counts-url');
  var note = box.querySelector('[data-live-note]');
  var INTERVAL_MS = 2000;

  function show(data) {
    var c = data.counts;
    Object.keys(c).forEach(function (key) {
      var cell = box.querySelector('[data-count="' + key + '"]');
      if (cell) cell.textContent = String(c[key]);
    });
    box.querySelector('[data-meter]').style.width = c.percent + '%';
    box.querySelector('[data-summary]').textContent = (data.status === 'done' ? 'Done' : 'Sending') + ': ' + c.percent + '% of ' + c.total + ' settled';
    box.setAttribute('data-status', data.status);
  }

  function poll() {
    fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (res) {
        if (!res.ok) throw new Error('status ' + res.status);
        return res.json();
      })
      .then(function (data) {
        show(data);
        if (data.status === 'done') {
          note.textContent = 'All sent or settled.';
          return;
        }
        note.textContent = 'Live: updated every 2 seconds.';
        setTimeout(poll, INTERVAL_MS);
      })
      .catch(function () {
        note.textContent = 'Live counts stopped (signed out or offline): reload the page.';
      });
  }

  if (box.getAttribute('data-status') !== 'done') {
    note.textContent = 'Live: updated every 2 seconds.';
    setTimeout(poll, INTERVAL_MS);
  }
})();
