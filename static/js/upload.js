/*
 * Evidence upload widget (templates/portfolios/_upload.html).
 *
 * Without this script the form posts the chosen files in one request. With it, dropped or
 * chosen files go one request each (XMLHttpRequest, so each has a progress bar), the server's
 * answer for each is read out in the form's live region, and the page reloads to show the new
 * files once every file is in. When some were refused the page does not reload (the refusals
 * would go): the list of files ([data-upload-files]) is fetched again and swapped in. Files over
 * the limit are flagged at once and not sent; the server checks everything again.
 */
(function () {
  "use strict";

  // The same rule as core/sizes.py human_size ("666 bytes", "26 KB", "1.2 MB"), so a file
  // reads the same size in the widget as in the list once it is in.
  var UNITS = ["KB", "MB", "GB", "TB"];

  function humanSize(bytes) {
    var size = Math.max(0, Math.floor(bytes));
    if (size < 1024) {
      return size === 1 ? "1 byte" : size.toLocaleString("en-GB") + " bytes";
    }
    var value = size / 1024;
    var unit = UNITS[0];
    for (var i = 0; i < UNITS.length; i += 1) {
      unit = UNITS[i];
      if (Math.round(value * 10) / 10 < 1024 || i === UNITS.length - 1) {
        break;
      }
      value /= 1024;
    }
    var text = value < 10
      ? value.toLocaleString("en-GB", { minimumFractionDigits: 0, maximumFractionDigits: 1 })
      : Math.round(value).toLocaleString("en-GB");
    return text + " " + unit;
  }

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function setup(form) {
    if (form.dataset.uploadReady) {
      return;
    }
    form.dataset.uploadReady = "true";
    var input = form.querySelector("input[data-upload-choose]");
    // The camera's input (capture) sends what it takes at once: no second step on a phone.
    var camera = form.querySelector("input[data-upload-camera]");
    var dropzone = form.querySelector("[data-upload-dropzone]");
    var list = form.querySelector("[data-upload-list]");
    var status = form.querySelector("[data-upload-status]");
    var queue = [];
    var busy = false;
    var added = 0;
    var refused = 0;

    function announce(text) {
      var line = document.createElement("p");
      line.className = "mb-1";
      line.textContent = text;
      status.appendChild(line);
    }

    function row(file) {
      var item = document.createElement("li");
      item.className = "upload-item mb-2";
      var name = document.createElement("span");
      name.className = "upload-name";
      name.textContent = file.name + " (" + humanSize(file.size) + ")";
      var bar = document.createElement("div");
      bar.className = "progress upload-progress";
      bar.setAttribute("role", "progressbar");
      bar.setAttribute("aria-label", "Uploading " + file.name);
      bar.setAttribute("aria-valuemin", "0");
      bar.setAttribute("aria-valuemax", "100");
      bar.setAttribute("aria-valuenow", "0");
      var fill = document.createElement("div");
      fill.className = "progress-bar";
      bar.appendChild(fill);
      var text = document.createElement("span");
      text.className = "upload-percent small";
      text.textContent = "Waiting";
      item.appendChild(name);
      item.appendChild(bar);
      item.appendChild(text);
      list.hidden = false;
      list.appendChild(item);
      return { item: item, bar: bar, fill: fill, text: text };
    }

    function progress(view, percent) {
      var value = Math.min(100, Math.max(0, Math.round(percent)));
      view.bar.setAttribute("aria-valuenow", String(value));
      // A CSSOM property, not a style attribute: allowed under a strict CSP.
      view.fill.style.width = value + "%";
      view.text.textContent = value + " %";
    }

    function finish(view, ok, message) {
      view.item.classList.add(ok ? "upload-ok" : "upload-refused");
      if (ok) {
        progress(view, 100);
        view.text.textContent = "Added";
        added += 1;
      } else {
        view.text.textContent = "Not added";
        refused += 1;
      }
      announce(message);
    }

    function done() {
      if (added && !refused) {
        announce("All files added. Showing them now…");
        window.setTimeout(function () { window.location.reload(); }, 1200);
      } else if (added) {
        // Some were refused: no reload, which would clear the refusals from the live region.
        // Fetch the page again and swap in its list of files, so the ones added show now.
        refreshList();
      }
    }

    function refreshList() {
      var current = document.querySelector("[data-upload-files]");
      if (!current || !window.fetch || !window.DOMParser) {
        offerReload();
        return;
      }
      window.fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-upload-files]");
          if (!fresh) {
            throw new Error("no list");
          }
          current.replaceChildren.apply(current, Array.prototype.slice.call(fresh.childNodes));
          announce("The list of files now shows the files added.");
        })
        .catch(offerReload);
    }

    function offerReload() {
      if (status.querySelector("[data-upload-reload]")) {
        return;
      }
      var again = document.createElement("button");
      again.dataset.uploadReload = "true";
      again.type = "button";
      again.className = "btn btn-outline-primary btn-sm mt-1";
      again.textContent = "Show the files added";
      again.addEventListener("click", function () { window.location.reload(); });
      status.appendChild(again);
    }

    function next() {
      var job = queue.shift();
      if (!job) {
        busy = false;
        done();
        return;
      }
      busy = true;
      send(job.file, job.view);
    }

    function send(file, view) {
      var data = new FormData();
      data.append("csrfmiddlewaretoken", csrfToken(form));
      data.append("files", file, file.name);
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      request.setRequestHeader("X-CSRFToken", csrfToken(form));
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          progress(view, (event.loaded / event.total) * 100);
        }
      });
      request.addEventListener("load", function () {
        var answer = null;
        try {
          answer = JSON.parse(request.responseText);
        } catch (error) {
          answer = null;
        }
        if (answer && answer.files && answer.files.length) {
          answer.files.forEach(function (result) {
            var message = result.name ? result.message : file.name + ": " + result.message;
            finish(view, result.ok, message);
          });
        } else if (request.status === 403) {
          finish(view, false, file.name + " was not added: you may not change this evidence.");
        } else {
          finish(view, false, file.name + " was not added: the server did not accept it (" +
            request.status + "). Reload the page and try again.");
        }
        next();
      });
      request.addEventListener("error", function () {
        finish(view, false, file.name + " was not added: the connection was lost. Try again.");
        next();
      });
      request.addEventListener("abort", function () {
        finish(view, false, file.name + " was not added: the upload was stopped.");
        next();
      });
      request.send(data);
    }

    function enqueue(files) {
      var maxBytes = parseInt(form.dataset.maxBytes || "0", 10);
      var maxLabel = form.dataset.maxLabel || "";
      Array.prototype.forEach.call(files, function (file) {
        var view = row(file);
        if (maxBytes && file.size > maxBytes) {
          finish(view, false, file.name + " is " + humanSize(file.size) +
            "; files may be at most " + maxLabel + ". It was not sent.");
          return;
        }
        queue.push({ file: file, view: view });
      });
      if (!busy) {
        if (queue.length) {
          next();
        } else {
          done();
        }
      }
    }

    if (camera) {
      camera.addEventListener("change", function () {
        if (camera.files.length) {
          enqueue(camera.files);
          camera.value = "";
        }
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!input.files.length) {
        announce("Choose at least one file to upload.");
        input.focus();
        return;
      }
      enqueue(input.files);
      input.value = "";
    });

    ["dragenter", "dragover"].forEach(function (name) {
      dropzone.addEventListener(name, function (event) {
        event.preventDefault();
        dropzone.classList.add("upload-dropzone-active");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      dropzone.addEventListener(name, function (event) {
        event.preventDefault();
        dropzone.classList.remove("upload-dropzone-active");
      });
    });
    dropzone.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files.length) {
        enqueue(event.dataTransfer.files);
      }
    });
  }

  function start() {
    document.querySelectorAll("form[data-upload]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
