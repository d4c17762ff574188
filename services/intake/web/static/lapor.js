/* Lapor Lingga: small progressive enhancements. The form works without this file. */
(function () {
  "use strict";

  var summary = document.getElementById("ringkasan-galat");
  if (summary) {
    summary.focus();
  }

  var form = document.getElementById("form-laporan");
  if (!form) {
    return;
  }

  // Desa list: show only the desa/kelurahan of the chosen kecamatan.
  var kecamatan = document.getElementById("kecamatan");
  var desa = document.getElementById("desa");
  if (kecamatan && desa) {
    var groups = Array.prototype.slice.call(desa.getElementsByTagName("optgroup"));
    var showGroups = function () {
      var chosen = kecamatan.value;
      var selected = desa.options[desa.selectedIndex];
      groups.forEach(function (group) {
        if (group.parentNode === desa) {
          desa.removeChild(group);
        }
      });
      groups.forEach(function (group) {
        if (!chosen || group.getAttribute("data-kecamatan") === chosen) {
          desa.appendChild(group);
        }
      });
      if (selected && selected.parentNode && selected.parentNode.parentNode === desa) {
        selected.selected = true;
      } else {
        desa.selectedIndex = 0;
      }
    };
    kecamatan.addEventListener("change", showGroups);
    desa.addEventListener("change", function () {
      var option = desa.options[desa.selectedIndex];
      var group = option && option.parentNode;
      if (!kecamatan.value && group && group.getAttribute) {
        kecamatan.value = group.getAttribute("data-kecamatan") || "";
        showGroups();
      }
    });
    showGroups();
  }

  // Photo: say at once when it is too large, instead of after a long upload.
  var photo = document.getElementById("foto");
  var photoError = document.getElementById("foto-galat-js");
  var maxBytes = parseInt(form.getAttribute("data-max-photo-bytes"), 10);
  if (photo && photoError && maxBytes > 0) {
    var described = photo.getAttribute("aria-describedby") || "";
    photo.addEventListener("change", function () {
      var file = photo.files && photo.files[0];
      var tooLarge = Boolean(file && file.size > maxBytes);
      photoError.hidden = !tooLarge;
      if (tooLarge) {
        photo.value = "";
        photo.setAttribute("aria-invalid", "true");
        photo.setAttribute("aria-describedby", described + " foto-galat-js");
      } else {
        photo.removeAttribute("aria-invalid");
        photo.setAttribute("aria-describedby", described);
      }
    });
  }

  // One submission per click: a second click while sending does nothing.
  var button = document.getElementById("kirim");
  var buttonLabel = button ? button.textContent : "";
  var sending = false;
  form.addEventListener("submit", function (event) {
    if (sending) {
      event.preventDefault();
      return;
    }
    sending = true;
    if (button) {
      button.setAttribute("aria-disabled", "true");
      button.textContent = "Mengirim\u2026";
    }
  });
  window.addEventListener("pageshow", function () {
    sending = false;
    if (button) {
      button.removeAttribute("aria-disabled");
      button.textContent = buttonLabel;
    }
  });
})();
