/* Konsol Lapor Lingga: small progressive enhancements. Every page works without this file
   (the queues then have a "Muat ulang daftar" link). */
(function () {
  "use strict";

  var summary = document.getElementById("ringkasan-galat");
  if (summary) {
    summary.focus();
  }

  // Queues: fetch the list fragment now and then; new cases appear without a reload.
  var holder = document.getElementById("daftar");
  var status = document.getElementById("status-segarkan"); // when the list was loaded
  var news = document.getElementById("kabar-daftar"); // live region: only real changes
  if (!holder || !status || !news || !window.fetch || !window.DOMParser) {
    return;
  }
  var url = holder.getAttribute("data-segarkan");
  var seconds = parseInt(holder.getAttribute("data-detik"), 10) || 10;
  var waiting = null; // a newer list, held back while the keyboard focus is inside the list
  var timer = null;
  var failing = false; // say a failure once, not at every attempt
  var atLoad = idsOf(currentList());

  function currentList() {
    return holder.querySelector("[data-daftar]");
  }

  function idsOf(list) {
    var ids = {};
    Array.prototype.forEach.call(list.querySelectorAll("[data-id]"), function (item) {
      ids[item.getAttribute("data-id")] = true;
    });
    return ids;
  }

  function stamp(list) {
    status.textContent = "Diperbarui otomatis " + (list.getAttribute("data-waktu") || "") + ".";
  }

  function say(text) {
    news.textContent = text;
  }

  function show(fresh) {
    var old = currentList();
    var known = idsOf(old);
    var added = 0;
    var held = 0;
    Array.prototype.forEach.call(fresh.querySelectorAll("[data-id]"), function (item) {
      var id = item.getAttribute("data-id");
      // a case put on hold joins the operator's list: not a new complaint
      var onHold = item.getAttribute("data-status") === "tunda";
      if (!known[id]) {
        if (onHold) {
          held += 1;
        } else {
          added += 1;
        }
      }
      if (!atLoad[id] && !onHold) {
        // new since this page was opened: say so in words, not only with a border
        item.classList.add("card--baru");
        var badge = document.createElement("span");
        badge.className = "badge-new";
        badge.textContent = "Baru";
        var title = item.querySelector(".card__title");
        if (title) {
          title.appendChild(badge);
        }
      }
    });
    var still = idsOf(fresh);
    var removed = Object.keys(known).filter(function (id) {
      return !still[id];
    }).length;
    old.parentNode.replaceChild(document.importNode(fresh, true), old);
    waiting = null;
    stamp(fresh);
    var parts = [];
    if (added) {
      parts.push(added + " laporan baru masuk.");
    }
    if (held) {
      parts.push(held + " laporan ditunda masuk ke daftar.");
    }
    if (removed) {
      parts.push(removed + " laporan keluar dari daftar.");
    }
    if (parts.length) {
      say(parts.join(" "));
    } else if (news.querySelector("button")) {
      say("");
    }
  }

  function offer(fresh) {
    waiting = fresh;
    news.textContent = "Ada perubahan pada daftar. ";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link-button link-button--dark";
    button.textContent = "Tampilkan sekarang";
    button.addEventListener("click", function () {
      if (waiting) {
        show(waiting);
        var list = currentList();
        list.setAttribute("tabindex", "-1");
        list.focus();
      }
    });
    news.appendChild(button);
  }

  function refresh() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (response.status === 401) {
          window.clearInterval(timer);
          say("Sesi Anda berakhir. Muat ulang halaman untuk masuk lagi.");
          return null;
        }
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        failing = false;
        return response.text();
      })
      .then(function (html) {
        if (html === null) {
          return;
        }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("[data-daftar]");
        var old = currentList();
        if (!fresh || !old) {
          return;
        }
        if (fresh.getAttribute("data-versi") === old.getAttribute("data-versi")) {
          stamp(fresh);
          return;
        }
        if (holder.contains(document.activeElement)) {
          offer(fresh); // do not pull the list away from under the keyboard focus
        } else {
          show(fresh);
        }
      })
      .catch(function () {
        if (!failing) {
          failing = true;
          say("Pembaruan otomatis gagal; mencoba lagi. Anda juga dapat memuat ulang daftar.");
        }
      });
  }

  status.textContent = "Daftar diperbarui otomatis setiap " + seconds + " detik.";
  timer = window.setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      refresh();
    }
  });
})();
