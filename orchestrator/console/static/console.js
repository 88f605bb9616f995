// orch console: live regions. Each element with data-live is fetched again every data-every seconds (its URL
// answers the region's content only) and replaced in place, without reloading the page. An answer with the header
// X-Final says the content will not change any more (an execution that ended): polling stops. A region being edited
// (a field of its forms has the focus, or holds text typed into it) is left alone, so that typing is never lost; it
// is looked at when the answer arrives, not when the fetch starts: one may begin typing while the fetch is out.
"use strict";

function editing(region) {
  const focused = document.activeElement;
  if (focused && region.contains(focused) && /^(INPUT|TEXTAREA|SELECT)$/.test(focused.tagName)) {
    return true;
  }
  // A field typed into and then left (focus moved to its button) still holds what was typed.
  return Array.from(region.querySelectorAll("input, textarea")).some(
    (field) => field.type !== "hidden" && field.value !== field.defaultValue,
  );
}

function poll(region) {
  const every = Math.max(Number(region.dataset.every) || 3, 0.2) * 1000;
  let timer = null;
  async function refresh() {
    if (document.hidden) {
      timer = setTimeout(refresh, every);
      return;
    }
    try {
      const answer = await fetch(region.dataset.live, { credentials: "same-origin", cache: "no-store" });
      if (answer.ok) {
        const content = await answer.text();
        const shown = content === region.dataset.last || !editing(region);
        if (shown && content !== region.dataset.last) {
          region.innerHTML = content;
          region.dataset.last = content;
        }
        // Polling stops at the final content only once it is shown (not while an edit holds the region back).
        if (shown && answer.headers.get("X-Final") === "1") {
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
