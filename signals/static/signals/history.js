// History: each time in the reader's own locale (the browser's language), in their
// timezone; the server's English text stays for a page without scripts.
const list = document.querySelector(".timeline");
const zone = list?.dataset.timezone || undefined;
let format;
try {
  format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: zone });
} catch {
  format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
}
for (const time of document.querySelectorAll(".timeline time[datetime]")) {
  const when = new Date(time.getAttribute("datetime"));
  if (!Number.isNaN(when.getTime())) time.textContent = format.format(when);
}
