// Pairing: share the link, and move on by itself once the partner has used the code
// (asking /api/me/, which answers 200 either way: a 404 each time would fill the log).
import { api } from "./common.js";

const share = document.getElementById("share");
const copy = document.getElementById("copy");
if (share) {
  share.hidden = !navigator.share;
  share.addEventListener("click", () => navigator.share({ title: "Porchlight", url: share.dataset.link }).catch(() => {}));
}
if (copy) {
  copy.addEventListener("click", async () => {
    await navigator.clipboard?.writeText(copy.dataset.link);
    copy.textContent = gettext("Copied");
  });
}
if (document.getElementById("invite")) {
  const poll = setInterval(async () => {
    try {
      if (!(await api("GET", "/api/me/")).paired) return;
      clearInterval(poll);
      location.href = "/";
    } catch { /* offline: ask again */ }
  }, 2000);
}
