// The import form, improved when scripts run (without them it posts as it is):
// - the file's header row is read here (its first 64 KiB, nothing is sent) and the two column
//   inputs become lists of its columns, the automatic choice first, naming what the server finds
//   (the same header names as src/lists/list-columns.ts);
// - the form is sent with XMLHttpRequest to show the upload's progress (the server reads and
//   checks the rows as they arrive), then waits for the import's one transaction; the answer
//   (the report, or the form with what to change) replaces the page.
(function () {
  var form = document.getElementById('import-form');
  if (!form || !window.FormData || !window.XMLHttpRequest || !window.Blob || !Blob.prototype.text) return;
  var fileInput = document.getElementById('import-file');
  var box = document.getElementById('import-progress');
  var bar = document.getElementById('import-progress-bar');
  var text = document.getElementById('import-progress-text');
  var button = form.querySelector('button[type=submit]');

  // As list-columns.ts: compared trimmed and without case, first match wins.
  var EMAIL = ['email address', 'email', 'e-mail', 'email_address', 'e-mail address'];
  var NAME = ['name', 'full name', 'full_name'];
  var FIRST = ['first name', 'first_name', 'firstname'];
  var LAST = ['last name', 'last_name', 'lastname'];
  var rows = null;

  function find(header, candidates) {
    var names = header.map(function (h) { return h.trim().toLowerCase(); });
    for (var i = 0; i < candidates.length; i++) {
      var at = names.indexOf(candidates[i]);
      if (at >= 0) return at;
    }
    return -1;
  }

  // The first record of a CSV text: cells split on commas outside quotes, "" an escaped quote.
  function firstRecord(csv) {
    var cells = [];
    var cell = '';
    var quoted = false;
    for (var i = 0; i < csv.length; i++) {
      var c = csv[i];
      if (quoted) {
        if (c === '"' && csv[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') { cells.push(cell); cell = ''; }
      else if (c === '\n' || c === '\r') { if (cells.length || cell) break; }
      else cell += c;
    }
    cells.push(cell);
    return cells;
  }

  // Rows after the header: line ends outside quotes, empty lines not counted (as the server).
  function countRows(file) {
    if (!file.stream) return Promise.resolve(null);
    var reader = file.stream().getReader();
    var quoted = false;
    var lines = 0;
    var filled = false;
    function step(result) {
      if (result.done) return lines + (filled ? 1 : 0) - 1;
      var bytes = result.value;
      for (var i = 0; i < bytes.length; i++) {
        var b = bytes[i];
        if (b === 34) quoted = !quoted;
        if (!quoted && (b === 10 || b === 13)) {
          if (filled) lines++;
          filled = false;
        } else filled = true;
      }
      return reader.read().then(step);
    }
    return reader.read().then(step).catch(function () { return null; });
  }

  function columnSelect(input, header, found, none) {
    var select = document.createElement('select');
    select.id = input.id;
    select.name = input.name;
    if (input.getAttribute('aria-describedby')) select.setAttribute('aria-describedby', input.getAttribute('aria-describedby'));
    var auto = document.createElement('option');
    auto.value = '';
    auto.textContent = found ? 'Found in the header: ' + found : none;
    select.appendChild(auto);
    header.forEach(function (column) {
      var trimmed = column.trim();
      if (!trimmed) return;
      var option = document.createElement('option');
      option.value = trimmed;
      option.textContent = trimmed;
      if (input.value && trimmed.toLowerCase() === input.value.trim().toLowerCase()) option.selected = true;
      select.appendChild(option);
    });
    input.replaceWith(select);
  }

  fileInput.addEventListener('change', function () {
    var file = fileInput.files && fileInput.files[0];
    rows = null;
    if (!file) return;
    file.slice(0, 65536).text().then(function (head) {
      var header = firstRecord(head.replace(/^\uFEFF/, ''));
      var email = find(header, EMAIL);
      var name = find(header, NAME);
      var nameFound = name >= 0 ? header[name].trim() : [find(header, FIRST), find(header, LAST)].filter(function (i) { return i >= 0; }).map(function (i) { return header[i].trim(); }).join(' + ');
      columnSelect(document.getElementById('import-email'), header, email >= 0 ? header[email].trim() : '', 'No email column found: choose one');
      columnSelect(document.getElementById('import-name'), header, nameFound, 'No name column found: no names, or choose one');
    });
    countRows(file).then(function (n) { rows = n; });
  });

  function show(message, percent) {
    box.hidden = false;
    text.textContent = message;
    if (percent === null) bar.removeAttribute('value');
    else bar.value = percent;
  }

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(1) + ' MB';
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var data = new FormData(form);
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.setRequestHeader('Accept', 'text/html');
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) return show('Sending the file: ' + megabytes(e.loaded) + '…', null);
      show('Sending the file, read and checked as it arrives: ' + megabytes(e.loaded) + ' of ' + megabytes(e.total), Math.round((e.loaded / e.total) * 100));
    };
    xhr.upload.onload = function () {
      var count = rows === null ? 'the' : rows.toLocaleString('en');
      show('Importing ' + count + ' rows in one transaction… (a large file takes some seconds; keep this page open)', null);
    };
    xhr.onload = function () {
      // The server's page (the report, or the form with what to change) replaces this one.
      document.open();
      document.write(xhr.responseText);
      document.close();
    };
    xhr.onerror = function () {
      button.disabled = false;
      show('The connection was lost before the answer came. The audit log shows whether the import was written; check it before sending the file again.', 0);
    };
    button.disabled = true;
    show('Sending the file…', 0);
    xhr.send(data);
  });
})();
