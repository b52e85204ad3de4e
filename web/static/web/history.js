// History: each time in the reader's locale (the page's language, the person's own) and
// time zone; the server's text stays for a page without scripts. On the newest page, a
// change of the couple's comes in as it happens: the week, the weeks and the timeline
// are fetched again in the reader's language.
import { app, refreshRegions } from "./app.js";

function localTimes() {
  const list = document.querySelector(".timeline");
  const zone = list?.dataset.timezone || undefined;
  let format;
  try {
    format = new Intl.DateTimeFormat(document.documentElement.lang, { dateStyle: "medium", timeStyle: "short", timeZone: zone });
  } catch {
    format = new Intl.DateTimeFormat(document.documentElement.lang, { dateStyle: "medium", timeStyle: "short" });
  }
  for (const time of document.querySelectorAll(".timeline time[datetime]")) {
    const when = new Date(time.getAttribute("datetime"));
    if (!Number.isNaN(when.getTime())) time.textContent = format.format(when);
  }
}

localTimes();
document.addEventListener("regions", localTimes);
let soon = null;
app?.on((frame) => {
  if (frame.type !== "event" || !document.querySelector("[data-live]")) return;
  clearTimeout(soon);
  soon = setTimeout(refreshRegions, 300); // a burst of events, one fetch
});
