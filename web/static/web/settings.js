// Settings: me, us, notifications on this phone, and a calm unpair. What the partner
// changes of "us" comes in live, unless the person is editing it here.
import { app, said } from "./app.js";
import { api, boot, firstError, formatWhen } from "./common.js";

const $ = (id) => document.getElementById(id);

function saveForm(formId, statusId, send) {
  $(formId)?.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await send();
      $(statusId).textContent = gettext("Saved.");
    } catch (e) {
      $(statusId).textContent = firstError(e);
    }
  });
}

// A new language takes the whole page with it: reload once it is saved.
const languageWas = $("me-language").value;
saveForm("me-form", "me-status", async () => {
  const language = $("me-language").value;
  await api("PATCH", "/api/me/", { display_name: $("me-name").value, timezone: $("me-tz").value, language });
  if (language !== languageWas) location.reload();
});
$("mail-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const me = await api("PATCH", "/api/me/", { email: $("me-email").value.trim() });
    $("mail-status").textContent = !me.email
      ? gettext("Removed.")
      : me.email_verified
        ? gettext("Confirmed.")
        : gettext("We sent a link to this address: follow it to confirm it.");
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
  notify.textContent = on ? gettext("Turn off") : gettext("Turn on");
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
    return gettext(
      "On an iPhone or iPad, notifications work once Porchlight is on the Home Screen: tap Share, then Add to Home Screen, and open Porchlight from there.",
    );
  }
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    return gettext("This browser cannot show notifications from Porchlight. Try a current Chrome, Firefox, Edge or Safari.");
  }
  if (Notification.permission === "denied") return BLOCKED;
  return null;
}
const BLOCKED = gettext(
  "Notifications are blocked for Porchlight in this browser's settings. Allow them for this site there, then tap Turn on again.",
);

// Each of my devices, and whether notifications reach it.
function showDevices(devices) {
  const list = $("devices");
  list.replaceChildren(...devices.map((device) => {
    const item = document.createElement("li");
    const here = String(device.id) === localStorage.getItem(DEVICE);
    const name = device.label || gettext("A device");
    const reach = device.last_error
      ? interpolate(gettext("the last notification did not get through (%(why)s)."), { why: device.last_error }, true)
      : device.last_sent_at
        ? interpolate(gettext("the last notification reached it at %(time)s."), { time: formatWhen(device.last_sent_at, TIMEZONE) }, true)
        : gettext("no notification sent to it yet.");
    const words = document.createElement("span");
    words.textContent = said(here ? interpolate(gettext("%(name)s (this phone)"), { name }, true) : name, reach);
    const test = document.createElement("button");
    test.type = "button";
    test.className = "link";
    test.textContent = gettext("Send me a test");
    test.addEventListener("click", () => sendTest(device.id));
    item.append(words, " ", test);
    return item;
  }));
  $("devices-h").hidden = !devices.length;
}
const TIMEZONE = boot()?.me.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
const listDevices = () => api("GET", "/api/push/devices/").then(showDevices).catch(() => {});

async function setUp() {
  const why = pushUnavailable();
  const devices = await api("GET", "/api/push/devices/");
  showDevices(devices);
  if (why && why !== BLOCKED) {
    notify.disabled = true;
    say(why);
    return;
  }
  const subscription = await currentSubscription().catch(() => null);
  const mine = devices.find((d) => String(d.id) === localStorage.getItem(DEVICE));
  showNotify(Boolean(subscription && mine));
  withText.checked = Boolean(mine?.include_text);
  if (why) say(why);
}

// A test by the real path: queued on the server, sent by its push loop, shown by the worker.
async function sendTest(id) {
  try {
    await api("POST", `/api/push/devices/${id}/test/`);
    say(gettext("A test notification is on its way. This list says below whether it got through."));
    setTimeout(listDevices, 5000);
  } catch (e) {
    say(firstError(e));
  }
}

// Quiet hours: both times, or none.
$("quiet-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("PATCH", "/api/me/", { quiet_from: $("quiet-from").value, quiet_until: $("quiet-until").value });
    $("quiet-status").textContent = gettext("Saved. Quiet hours are on, in your time zone.");
  } catch (e) {
    $("quiet-status").textContent = firstError(e);
  }
});
$("quiet-clear").addEventListener("click", async () => {
  try {
    await api("PATCH", "/api/me/", { quiet_from: null, quiet_until: null });
    $("quiet-from").value = "";
    $("quiet-until").value = "";
    $("quiet-status").textContent = gettext("No quiet hours: notifications come at any time.");
  } catch (e) {
    $("quiet-status").textContent = firstError(e);
  }
});

// Each step says what it is doing; a failure says why, and the button comes back.
notify.addEventListener("click", async () => {
  notify.disabled = true;
  try {
    const on = notify.getAttribute("aria-pressed") === "true";
    if (on) {
      say(gettext("Turning notifications off…"));
      const subscription = await currentSubscription();
      await subscription?.unsubscribe();
      const id = localStorage.getItem(DEVICE);
      if (id) await api("DELETE", `/api/push/devices/${id}/`).catch(() => {});
      localStorage.removeItem(DEVICE);
      showNotify(false);
      listDevices();
      say(gettext("Notifications are off on this phone."));
      return;
    }
    say(gettext("Asking this browser for permission…"));
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      say(permission === "denied" ? BLOCKED : gettext("Notifications were not allowed. Tap Turn on to be asked again."));
      return;
    }
    say(gettext("Connecting this phone to its push service…"));
    const { public_key } = await api("GET", "/api/push/key/");
    const registration = await navigator.serviceWorker.ready;
    const subscribe = () => registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(public_key),
    });
    let subscription = await subscribe();
    say(gettext("Saving…"));
    const label = navigator.userAgentData?.platform || navigator.platform || gettext("This phone");
    const save = () => api("POST", "/api/push/devices/", { ...subscription.toJSON(), label, include_text: withText.checked });
    const device = await save().catch(async (e) => {
      // The browser kept another account's subscription: make this person one of their own.
      if (e.body?.code !== "endpoint_taken") throw e;
      await subscription.unsubscribe();
      subscription = await subscribe();
      return save();
    });
    localStorage.setItem(DEVICE, String(device.id));
    showNotify(true);
    listDevices();
    say(gettext("Notifications are on for this phone."));
  } catch (e) {
    if (e.body) say(firstError(e));
    else if (!navigator.onLine) say(gettext("You're offline. Turn notifications on when you're back."));
    else {
      const why = `${e.name || "Error"}: ${e.message || "-"}`; // the browser's own words
      say(interpolate(gettext("Notifications could not be turned on here (%(why)s)."), { why }, true));
    }
  } finally {
    notify.disabled = false;
  }
});

withText.addEventListener("change", async () => {
  const id = localStorage.getItem(DEVICE);
  if (id) await api("PATCH", `/api/push/devices/${id}/`, { include_text: withText.checked });
});

// Unpair: one calm question before it happens.
$("unpair-ask")?.addEventListener("click", () => {
  $("unpair-confirm").hidden = false;
  $("unpair-ask").hidden = true;
  $("unpair-no").focus();
});
$("unpair-no")?.addEventListener("click", () => {
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
    app?.live.stop(); // the account's socket closes with it: this page says where to go
    await api("DELETE", "/api/me/", { password: $("delete-password").value });
    location.href = "/accounts/register/";
  } catch (e) {
    app?.live.resume();
    $("delete-error").textContent = firstError(e);
    $("delete-error").hidden = false;
  }
});

setUp().catch(() => say(gettext("Notifications could not be checked.")));

app?.on((frame) => {
  if (frame.type !== "event" || frame.kind !== "settings.changed") return;
  if ($("us-form").contains(document.activeElement)) return;
  const changed = frame.data.changed;
  if ("timezone" in changed) $("us-tz").value = changed.timezone;
  if ("flags_enabled" in changed) $("us-flags").checked = changed.flags_enabled;
  if ("flag_threshold" in changed) $("us-threshold").value = String(changed.flag_threshold);
  if (frame.actor !== app.store.me.id) $("us-status").textContent = gettext("Your partner changed these just now.");
});
