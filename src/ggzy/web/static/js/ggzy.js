/* ggzy: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Forms with data-confirm ask before submitting (withdraw, publish, delete ...).
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var msg = form.getAttribute && form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); }
  });

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  // Show only the options whose data attribute matches; clear a selection that no longer fits.
  function filterOptions(select, test) {
    var opts = select.querySelectorAll("option");
    for (var i = 0; i < opts.length; i++) {
      var o = opts[i];
      if (!o.value) { continue; }
      var ok = test(o);
      o.hidden = !ok;
      o.disabled = !ok;
      if (!ok && o.selected) { select.value = ""; }
    }
  }

  function formatWan(text) {
    if (!/^\d{1,14}(\.\d{1,2})?$/.test(text)) { return ""; }
    var parts = text.split(".");
    var yuan = parts[0].replace(/^0+(?=\d)/, "");
    var cents = (parts[1] || "").padEnd(2, "0");
    var all = yuan + cents; // in fen, as a string; avoid floating point
    var padded = all.padStart(7, "0");
    var wanInt = padded.slice(0, padded.length - 6).replace(/^0+(?=\d)/, "");
    var frac = padded.slice(padded.length - 6, padded.length - 2);
    wanInt = wanInt.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return "≈ " + wanInt + "." + frac + " 万元";
  }

  ready(function () {
    var form = document.getElementById("project-form");
    if (!form) { return; }

    var type = document.getElementById("trading_type");
    var item = document.getElementById("catalogue_item_code");
    if (type && item) {
      var byType = function () {
        var t = type.value;
        filterOptions(item, function (o) { return !t || o.getAttribute("data-type") === t; });
      };
      type.addEventListener("change", byType);
      byType();
    }

    var jur = document.getElementById("jurisdiction");
    var reg = document.getElementById("regulator_org_id");
    if (jur && reg) {
      var byJur = function () {
        var j = jur.value;
        filterOptions(reg, function (o) {
          return !j || (" " + (o.getAttribute("data-jurisdictions") || "") + " ").indexOf(" " + j + " ") >= 0;
        });
      };
      jur.addEventListener("change", byJur);
      byJur();
    }

    var box = document.getElementById("emergency-fields");
    var radios = form.querySelectorAll("input[name=route]");
    if (box && radios.length) {
      var byRoute = function () {
        var checked = form.querySelector("input[name=route]:checked");
        box.hidden = !(checked && checked.value === "emergency_direct");
      };
      for (var i = 0; i < radios.length; i++) { radios[i].addEventListener("change", byRoute); }
      byRoute();
    }

    var amount = document.getElementById("estimated_amount");
    var hint = document.getElementById("amount-wan");
    if (amount && hint) {
      var base = hint.textContent;
      var showWan = function () {
        var w = formatWan(amount.value.trim().replace(/,/g, ""));
        hint.textContent = w ? base + "（" + w + "）" : base;
      };
      amount.addEventListener("input", showWan);
      showWan();
    }
  });
})();

/* Tender form: methods that fit the project's trading type; the invitee list only for invited
   methods. Upload forms: refuse a file over the page body limit before sending it. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    var form = document.getElementById("tender-form");
    if (form) {
      var project = document.getElementById("project_id");
      var method = document.getElementById("method");
      var invitees = document.getElementById("invitee-field");
      var projectType = function () {
        if (!project) { return ""; }
        if (project.tagName === "SELECT") {
          var opt = project.options[project.selectedIndex];
          return opt ? (opt.getAttribute("data-type") || "") : "";
        }
        return project.getAttribute("data-type") || "";
      };
      var byProject = function () {
        if (!method) { return; }
        var t = projectType();
        var opts = method.querySelectorAll("option");
        for (var i = 0; i < opts.length; i++) {
          var o = opts[i];
          if (!o.value) { continue; }
          var ok = !t || o.getAttribute("data-type") === t;
          o.hidden = !ok;
          o.disabled = !ok;
          if (!ok && o.selected) { method.value = ""; }
        }
      };
      var byMethod = function () {
        if (!method || !invitees) { return; }
        var opt = method.options[method.selectedIndex];
        var box = document.getElementById("invitees");
        invitees.hidden = !(opt && opt.getAttribute("data-invited") === "1") && !(box && box.value.trim());
      };
      if (project && project.tagName === "SELECT") { project.addEventListener("change", byProject); }
      if (method) { method.addEventListener("change", byMethod); }
      byProject();
      byMethod();
    }

    var files = document.querySelectorAll("input[type=file][data-max-bytes]");
    for (var j = 0; j < files.length; j++) {
      files[j].addEventListener("change", function (ev) {
        var input = ev.target;
        var max = parseInt(input.getAttribute("data-max-bytes"), 10);
        var f = input.files && input.files[0];
        input.setCustomValidity(f && max && f.size > max - 4096 ? "文件过大：页面上传不超过 " + Math.floor(max / 1000) + " KB" : "");
      });
    }
  });

  // The opening room: poll the opening's JSON; count the decryption window down; when the status,
  // the available actions or any bid's outcome change, reload (unless the user is typing).
  ready(function () {
    var room = document.getElementById("opening-room");
    if (!room || !window.fetch) { return; }
    var url = room.getAttribute("data-poll");
    var left = document.getElementById("seconds-left");
    var seconds = left ? parseInt(left.getAttribute("data-seconds"), 10) : 0;
    function signature(data) {
      var rows = (data.record && data.record.rows) || [];
      return [data.status, data.actions.join(","), rows.map(function (r) { return r.seq + ":" + (r.outcome || ""); }).join(","),
              data.responses.length, data.responses.filter(function (r) { return r.answer; }).length,
              (data.backup && data.backup.handed_in) || 0].join("|");
    }
    var initial = null;
    function typing() {
      var fields = room.querySelectorAll("input[type=text], textarea");
      for (var i = 0; i < fields.length; i++) { if (fields[i].value) { return true; } }
      return false;
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          var sig = signature(data);
          if (initial === null) { initial = sig; }
          seconds = data.seconds_left;
          if (sig !== initial && !typing()) { window.location.reload(); }
        })
        .catch(function () {});
    }
    if (left) {
      setInterval(function () {
        if (seconds > 0) { seconds -= 1; }
        left.textContent = Math.floor(seconds / 60) + " 分 " + (seconds % 60) + " 秒";
      }, 1000);
    }
    poll();
    setInterval(poll, 3000);
  });
})();
