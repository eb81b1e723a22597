// Sizes each email frame to the email's full height, so the page shows the whole email (the frame
// has no scrollbar of its own). The frame's sandbox has allow-same-origin, so this page can read the
// email's height, and never allow-scripts, so nothing inside the email runs: together the two would
// let the email lift its own sandbox. Without this script the frame keeps its CSS height and scrolls.
(function () {
  var frames = Array.prototype.slice.call(document.querySelectorAll('iframe.email'));

  function fit(frame) {
    var doc = frame.contentDocument;
    if (!doc || !doc.body) return;
    // The content's own height: the document's scrollHeight never drops below the frame's height,
    // so measure the body's box and its margins rather than the scrolling area.
    var style = doc.defaultView ? doc.defaultView.getComputedStyle(doc.body) : null;
    var margins = style ? parseFloat(style.marginTop) + parseFloat(style.marginBottom) : 0;
    var height = Math.ceil(doc.body.getBoundingClientRect().height + margins);
    // The frame's CSS height includes its border (box-sizing: border-box).
    if (height > 0) frame.style.height = height + frame.offsetHeight - frame.clientHeight + 'px';
  }

  frames.forEach(function (frame) {
    // 'load' comes after the email's images, which are most of its height.
    frame.addEventListener('load', function () { fit(frame); });
    if (frame.contentDocument && frame.contentDocument.readyState === 'complete') fit(frame);
  });
  var pending;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(function () { frames.forEach(fit); }, 100);
  });
})();
