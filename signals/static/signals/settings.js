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

async function setUp() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    notify.disabled = true;
    say("This browser cannot show notifications from Porchlight. On an iPhone, add Porchlight to the Home Screen first.");
    return;
  }
  const subscription = await currentSubscription().catch(() => null);
  const devices = await api("GET", "/api/push/devices/");
  const mine = devices.find((d) => String(d.id) === localStorage.getItem(DEVICE));
  showNotify(Boolean(subscription && mine));
  withText.checked = Boolean(mine?.include_text);
}

notify.addEventListener("click", async () => {
  try {
    const on = notify.getAttribute("aria-pressed") === "true";
    if (on) {
      const subscription = await currentSubscription();
      await subscription?.unsubscribe();
      const id = localStorage.getItem(DEVICE);
      if (id) await api("DELETE", `/api/push/devices/${id}/`).catch(() => {});
      localStorage.removeItem(DEVICE);
      showNotify(false);
      say("Notifications are off on this phone.");
      return;
    }
    if ((await Notification.requestPermission()) !== "granted") {
      say("Notifications are blocked for Porchlight in this browser's settings.");
      return;
    }
    const { public_key } = await api("GET", "/api/push/key/");
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(public_key),
    });
    const label = navigator.userAgentData?.platform || navigator.platform || "This phone";
    const device = await api("POST", "/api/push/devices/", { ...subscription.toJSON(), label, include_text: withText.checked });
    localStorage.setItem(DEVICE, String(device.id));
    showNotify(true);
    say("Notifications are on for this phone.");
  } catch (e) {
    say(e.body ? firstError(e) : "Notifications could not be turned on here.");
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
