// Housekeeping board: follows the gateways' room snapshots and other tablets' requests live.
(function () {
  "use strict";
  const status = document.getElementById("live-status");
  const words = JSON.parse((document.getElementById("hk-i18n") || {}).textContent || "{}");
  const t = (text) => (words[text] || text);
  const label = (code) => ((words.labels || {})[code] || code);
  const tile = (m) => document.getElementById(`room-${m.site}-${m.floor}-${m.room}`);

  // Instants as the API gives them; one without a zone was stored in UTC (SQLite drops the zone).
  const instant = (iso) => Date.parse(/([zZ]|[+-]\d\d:\d\d)$/.test(iso) ? iso : iso + "Z");

  function show(el, state, pending) {
    const changed = el.dataset.state !== state;
    el.dataset.state = state;
    el.className = `hk-room hk-${state}` + (changed ? " flash" : "");
    el.querySelector(".hk-state-name").textContent = label(state);
    el.querySelector(".hk-pending").hidden = !pending;
    const dnd = el.dataset.dnd === "true";
    el.querySelectorAll("form.hk-action").forEach((form) => {
      const applies = form.dataset.from.split(" ").includes(state);
      form.hidden = !applies || (form.dataset.action === "start" && dnd);
    });
    setTimeout(() => el.classList.remove("flash"), 600);
    if (changed) recount(el.closest("section.hk-floor"));
  }

  function recount(floor) {  // the floor's header follows its tiles
    if (!floor) return;
    const rooms = [...floor.querySelectorAll("li.hk-room")];
    floor.querySelectorAll("[data-count]").forEach((count) => {
      count.textContent = String(rooms.filter((r) => r.dataset.state === count.dataset.count).length);
    });
  }

  function applyRoom(r) {  // a gateway's snapshot: the truth, unless a newer request is on its way
    const el = tile(r);
    if (!el) return;
    el.dataset.dnd = r.dnd ? "true" : "false";
    el.querySelector(".hk-occ").textContent = label(r.occupied ? "occupied" : "vacant");
    el.querySelector(".hk-guest").hidden = !r.guest_present;
    el.querySelector(".hk-dnd").hidden = !r.dnd;
    const pendingAt = el.dataset.pendingAt ? instant(el.dataset.pendingAt) : null;
    const stillPending = pendingAt !== null && r.housekeeping !== el.dataset.state
      && !(r.updated_at && instant(r.updated_at) >= pendingAt);
    if (!stillPending) el.dataset.pendingAt = "";
    show(el, stillPending ? el.dataset.state : r.housekeeping, stillPending);
  }

  function applyRequest(m) {  // another tablet asked for a state
    const el = tile(m);
    if (!el) return;
    el.dataset.pendingAt = m.pending_at;
    show(el, m.pending, true);
  }

  async function resync() {  // what changed while the stream was not open (a reload, a reconnect)
    const answer = await fetch("/api/v1/board", { headers: { Accept: "application/json" } });
    if (!answer.ok) return;
    for (const floor of await answer.json()) floor.rooms.forEach(applyRoom);
  }

  const source = new EventSource("/api/v1/board/stream");
  source.onopen = () => { status.textContent = t("live"); status.className = "live on"; resync(); };
  source.onerror = () => { status.textContent = t("reconnecting…"); status.className = "live off"; };
  source.addEventListener("room", (m) => applyRoom(JSON.parse(m.data)));
  source.addEventListener("housekeeping", (m) => applyRequest(JSON.parse(m.data)));
})();
