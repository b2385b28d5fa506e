// staticd sample site: small touches a real site's script would add, none needed to read the page.
"use strict";

(function () {
  // The year in the title, as before.
  document.title += " (" + new Date().getFullYear() + ")";

  // A "Copy" button on every code block: copies the block's text, says so for a moment.
  function addCopyButton(block) {
    if (!navigator.clipboard) return; // only on https:// or localhost
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(block.innerText.trim()).then(function () {
        button.textContent = "Copied";
        button.classList.add("done");
        setTimeout(function () {
          button.textContent = "Copy";
          button.classList.remove("done");
        }, 1500);
      });
    });
    block.appendChild(button);
  }

  // A footer saying how long the page took, from the browser's own timing.
  function addFooter() {
    var timing = performance.getEntriesByType("navigation")[0];
    if (!timing) return;
    var footer = document.createElement("footer");
    var ms = Math.max(0, Math.round(timing.responseEnd - timing.requestStart));
    footer.textContent = "Served by staticd in " + ms + " ms (" + timing.transferSize + " bytes on the wire).";
    document.body.appendChild(footer);
  }

  function ready() {
    Array.prototype.forEach.call(document.querySelectorAll("pre"), addCopyButton);
    addFooter();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
