// The service-request board on a tablet: fetch the page again every five seconds and swap the
// board in, so new and late requests appear without a reload (forms outside it keep their input).
(function () {
  "use strict";
  async function refresh() {
    const current = document.getElementById("requests-board");
    if (!current) { return; }
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin", cache: "no-store" });
      if (response.ok) {
        const doc = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = doc.getElementById("requests-board");
        if (fresh) { current.replaceWith(fresh); }
      }
    } catch (err) {
      // offline for a moment: try again on the next tick
    }
    window.setTimeout(refresh, 5000);
  }
  window.setTimeout(refresh, 5000);
})();
