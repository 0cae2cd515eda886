// Live room board: applies server-sent room, gateway and event messages without a reload.
(function () {
  "use strict";
  const status = document.getElementById("live-status");
  const log = document.getElementById("event-log");
  const words = JSON.parse((document.getElementById("board-i18n") || {}).textContent || "{}");
  const t = (text) => (words[text] || text);
  const label = (code) => ((words.labels || {})[code] || code);
  const lang = document.documentElement.lang || undefined;
  // Times as the server renders them: the page's language, the property's time zone.
  const zone = document.body.dataset.timeZone || undefined;
  const clock = new Intl.DateTimeFormat(lang, { timeStyle: "medium", timeZone: zone });
  const time = (iso) => (iso ? clock.format(new Date(iso)) : "");

  function setText(el, sel, html) { const n = el.querySelector(sel); if (n) n.innerHTML = html; }

  function applyRoom(r) {
    let el = document.getElementById(`room-${r.site}-${r.floor}-${r.room}`);
    if (!el) { location.reload(); return; }
    el.className = `room ${r.occupied ? "occupied" : "vacant"} door-${r.door} flash`;
    setText(el, ".occ", label(r.occupied ? "occupied" : "vacant") + (r.guest_present ? " · " + t("guest in") : "") + (r.dnd ? " · " + t("do not disturb") : ""));
    setText(el, ".door", `${t("door")} <b>${label(r.door)}</b> · ${t("lock")} <b>${label(r.lock)}</b>`);
    setText(el, ".hk", `${t("housekeeping")} ${label(r.housekeeping)}`);
    if (r.last_access_at) {
      setText(el, ".access", `${r.last_access_granted ? "✔" : "✖"} ${r.last_access_reason ? label(r.last_access_reason) : ""} ${time(r.last_access_at)}`);
    }
    setTimeout(() => el.classList.remove("flash"), 600);
  }

  function applyGateway(g) {
    const el = document.getElementById(`gw-${g.site}-${g.floor}`);
    if (!el) { location.reload(); return; }
    el.className = `gateway ${g.state}`;
    el.innerHTML = `${t("gateway")} <b>${label(g.state)}</b>${g.version ? " · v" + g.version : ""}`;
  }

  function applyEvent(e) {
    const li = document.createElement("li");
    const reason = e.data && e.data.reason ? ` (${label(e.data.reason)})` : "";
    li.innerHTML = `<time>${time(e.ts)}</time> ${e.floor}${e.room ? "/" + e.room : ""} <b></b>${reason}`;
    li.querySelector("b").textContent = label(e.type);
    if (e.data && e.data.fault) {
      const fault = document.createElement("span");
      fault.className = "fault";
      fault.textContent = label(e.data.fault);
      fault.title = (words.hints || {})[e.data.fault] || "";
      li.append(" (", fault, ")");
    }
    log.prepend(li);
    while (log.children.length > 15) log.lastElementChild.remove();
  }

  const source = new EventSource("/api/v1/board/stream");
  source.onopen = () => { status.textContent = t("live"); status.className = "live on"; };
  source.onerror = () => { status.textContent = t("reconnecting…"); status.className = "live off"; };
  source.addEventListener("room", (m) => applyRoom(JSON.parse(m.data)));
  source.addEventListener("gateway", (m) => applyGateway(JSON.parse(m.data)));
  source.addEventListener("event", (m) => applyEvent(JSON.parse(m.data)));
})();
