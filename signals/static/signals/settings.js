// Settings: me, us, notifications on this phone, and a calm unpair.
import { api, firstError } from "./common.js";

const $ = (id) => document.getElementById(id);

function saveForm(formId, statusId, send) {
  $(formId).addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await send();
      $(statusId).textContent = "Saved.";
    } catch (e) {
      $(statusId).textContent = firstError(e);
    }
  });
}

saveForm("me-form", "me-status", () => api("PATCH", "/api/me/", { display_name: $("me-name").value, timezone: $("me-tz").value }));
$("mail-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const me = await api("PATCH", "/api/me/", { email: $("me-email").value.trim() });
    $("mail-status").textContent = !me.email
      ? "Removed."
      : me.email_verified
        ? "Confirmed."
        : "We sent a link to this address: follow it to confirm it.";
  } catch (e) {
    $("mail-status").textContent = firstError(e);
  }
});
saveForm("us-form", "us-status", () =>
  api("PATCH", "/api/couple/settings/", {
    timezone: $("us-tz").value,
    flags_enabled: $("us-flags").checked,
    flag_threshold: Number($("us-threshold").value),
  }),
);

// Notifications: a subscription per phone, made after a tap (browsers require it).
const DEVICE = "porchlight.device";
const notify = $("notify");
const withText = $("notify-text");
const say = (text) => { $("notify-status").textContent = text; };

function keyBytes(base64url) {
  const raw = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

function showNotify(on) {
  notify.setAttribute("aria-pressed", String(on));
  notify.textContent = on ? "Turn off" : "Turn on";
  withText.disabled = !on;
}

async function currentSubscription() {
  const registration = await navigator.serviceWorker.ready;
  return registration.pushManager.getSubscription();
}

// Why push cannot work here, said plainly, or null when it can.
function pushUnavailable() {
  const apple = /iPhone|iPad|iPod/.test(navigator.userAgent)
    || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  const installed = navigator.standalone === true || matchMedia("(display-mode: standalone)").matches;
  if (apple && !installed) {
    return "On an iPhone or iPad, notifications work once Porchlight is on the Home Screen: tap Share, "
      + "then Add to Home Screen, and open Porchlight from there.";
  }
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    return "This browser cannot show notifications from Porchlight. Try a current Chrome, Firefox, Edge or Safari.";
  }
  if (Notification.permission === "denied") return BLOCKED;
  return null;
}
const BLOCKED = "Notifications are blocked for Porchlight in this browser's settings. "
  + "Allow them for this site there, then tap Turn on again.";

async function setUp() {
  const why = pushUnavailable();
  if (why && why !== BLOCKED) {
    notify.disabled = true;
    say(why);
    return;
  }
  const subscription = await currentSubscription().catch(() => null);
  const devices = await api("GET", "/api/push/devices/");
  const mine = devices.find((d) => String(d.id) === localStorage.getItem(DEVICE));
  showNotify(Boolean(subscription && mine));
  withText.checked = Boolean(mine?.include_text);
  if (why) say(why);
}

// Each step says what it is doing; a failure says why, and the button comes back.
notify.addEventListener("click", async () => {
  notify.disabled = true;
  try {
    const on = notify.getAttribute("aria-pressed") === "true";
    if (on) {
      say("Turning notifications off…");
      const subscription = await currentSubscription();
      await subscription?.unsubscribe();
      const id = localStorage.getItem(DEVICE);
      if (id) await api("DELETE", `/api/push/devices/${id}/`).catch(() => {});
      localStorage.removeItem(DEVICE);
      showNotify(false);
      say("Notifications are off on this phone.");
      return;
    }
    say("Asking this browser for permission…");
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      say(permission === "denied" ? BLOCKED : "Notifications were not allowed. Tap Turn on to be asked again.");
      return;
    }
    say("Connecting this phone to its push service…");
    const { public_key } = await api("GET", "/api/push/key/");
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(public_key),
    });
    say("Saving…");
    const label = navigator.userAgentData?.platform || navigator.platform || "This phone";
    const device = await api("POST", "/api/push/devices/", { ...subscription.toJSON(), label, include_text: withText.checked });
    localStorage.setItem(DEVICE, String(device.id));
    showNotify(true);
    say("Notifications are on for this phone.");
  } catch (e) {
    if (e.body) say(firstError(e));
    else if (!navigator.onLine) say("You're offline. Turn notifications on when you're back.");
    else say(`Notifications could not be turned on here (${e.name || "an error"}: ${e.message || "no reason given"}).`);
  } finally {
    notify.disabled = false;
  }
});

withText.addEventListener("change", async () => {
  const id = localStorage.getItem(DEVICE);
  if (id) await api("PATCH", `/api/push/devices/${id}/`, { include_text: withText.checked });
});

// Unpair: one calm question before it happens.
$("unpair-ask").addEventListener("click", () => {
  $("unpair-confirm").hidden = false;
  $("unpair-ask").hidden = true;
  $("unpair-no").focus();
});
$("unpair-no").addEventListener("click", () => {
  $("unpair-confirm").hidden = true;
  $("unpair-ask").hidden = false;
  $("unpair-ask").focus();
});

// Deleting the account: the password confirms it, and there is a way back until then.
$("delete-ask").addEventListener("click", () => {
  $("delete-confirm").hidden = false;
  $("delete-ask").hidden = true;
  $("delete-password").focus();
});
$("delete-no").addEventListener("click", () => {
  $("delete-confirm").hidden = true;
  $("delete-ask").hidden = false;
  $("delete-ask").focus();
});
$("delete-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("DELETE", "/api/me/", { password: $("delete-password").value });
    location.href = "/accounts/register/";
  } catch (e) {
    $("delete-error").textContent = firstError(e);
    $("delete-error").hidden = false;
  }
});

setUp().catch(() => say("Notifications could not be checked."));
