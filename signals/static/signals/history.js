// History: each time in the reader's locale (the page's language, the person's own) and
// time zone; the server's text stays for a page without scripts.
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
