// The stay page's Keycards section: while a card is being encoded (or no desk station has
// connected yet), fetch the section again every second and swap it in, so "waiting for the
// encoder" turns into "encoded" or "failed" without a reload.
(function () {
  "use strict";
  function section() { return document.getElementById("keycards"); }
  async function refresh() {
    const current = section();
    if (!current) { return; }
    if (current.dataset.pending === "1") {
      try {
        const response = await fetch(current.dataset.url, { credentials: "same-origin", cache: "no-store" });
        if (response.ok) {
          const doc = new DOMParser().parseFromString(await response.text(), "text/html");
          const fresh = doc.getElementById("keycards");
          if (fresh) { current.replaceWith(fresh); }
        }
      } catch (err) {
        // offline for a moment: try again on the next tick
      }
    }
    window.setTimeout(refresh, 1000);
  }
  window.setTimeout(refresh, 1000);
})();
