// Confirms with one click from the email: the page that GET /confirm shows submits its own form
// (GET /manage/open too: its single-use link is spent by the POST). Mail scanners that prefetch the
// link do not run scripts, so they never confirm anyone; people without scripts press the button.
(function () {
  var form = document.querySelector('form[data-autosubmit]');
  if (!form) return;
  var status = document.getElementById('confirm-status');
  var button = document.getElementById('confirm-button');
  if (status) status.textContent = form.getAttribute('data-autosubmit') || 'Confirming your subscription…';
  if (button) button.disabled = true;
  // Re-enable if the browser comes back to this page from history (no second submit on its own).
  window.addEventListener('pageshow', function (event) {
    if (event.persisted && button) button.disabled = false;
  });
  form.submit();
})();
