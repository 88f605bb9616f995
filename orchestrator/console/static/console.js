// orch console: live regions. Each element with data-live is fetched again every data-every seconds (its URL
// answers the region's content only) and replaced in place, without reloading the page. An answer with the header
// X-Final says the content will not change any more (an execution that ended): polling stops. A region whose form
// field has the focus is left alone until the field is left, so that typing is never lost.
"use strict";

function poll(region) {
  const every = Math.max(Number(region.dataset.every) || 3, 0.2) * 1000;
  let timer = null;
  async function refresh() {
    if (document.hidden) {
      timer = setTimeout(refresh, every);
      return;
    }
    const focused = document.activeElement;
    const typing = focused && region.contains(focused) && /^(INPUT|TEXTAREA|SELECT)$/.test(focused.tagName);
    try {
      const answer = await fetch(region.dataset.live, { credentials: "same-origin", cache: "no-store" });
      if (answer.ok && !typing) {
        const content = await answer.text();
        if (content !== region.dataset.last) {
          region.innerHTML = content;
          region.dataset.last = content;
        }
        if (answer.headers.get("X-Final") === "1") {
          region.dataset.final = "1";
          return;
        }
      }
    } catch (error) {
      // The console stopped or the network blinked: try again at the next turn.
    }
    timer = setTimeout(refresh, every);
  }
  if (region.dataset.final !== "1") {
    timer = setTimeout(refresh, every);
  }
  return () => clearTimeout(timer);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-live]").forEach(poll);
});
