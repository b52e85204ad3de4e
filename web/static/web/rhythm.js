// The rhythm editor: blocks of connection and autonomy time, my own mutes, the coming week.
// The partner's changes come in live (rhythm.changed); my mutes keep my banners quiet.
import { app } from "./app.js";
import { api, blockName, firstError } from "./common.js";

const $ = (id) => document.getElementById(id);
// Monday=0, as the API counts, named in the page's language (2024-01-01 was a Monday).
const weekday = new Intl.DateTimeFormat(document.documentElement.lang, { weekday: "short", timeZone: "UTC" });
const DAYS = [0, 1, 2, 3, 4, 5, 6].map((d) => weekday.format(new Date(Date.UTC(2024, 0, 1 + d))));
const form = $("block-form");

function describe(block) {
  const parts = [
    block.days.length === 7 ? gettext("Every day") : block.days.map((d) => DAYS[d]).join(", "),
    interpolate(gettext("%(start)s for %(minutes)s min"), { start: block.start, minutes: block.minutes }, true),
  ];
  if (block.remind_before) {
    parts.push(interpolate(gettext("reminder %(minutes)s min before"), { minutes: block.remind_before }, true));
  }
  if (!block.enabled) parts.push(gettext("off"));
  return parts.join(" · ");
}

function listItem(text) {
  const item = document.createElement("li");
  item.textContent = text;
  return item;
}

function button(text, onClick, pressed) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  if (pressed !== undefined) b.setAttribute("aria-pressed", String(pressed));
  b.addEventListener("click", onClick);
  return b;
}

async function load() {
  const [blocks, mute, upcoming] = await Promise.all([
    api("GET", "/api/rhythm/blocks/"),
    api("GET", "/api/rhythm/mute/"),
    api("GET", "/api/rhythm/upcoming/?days=7"),
  ]);
  const list = $("blocks");
  list.replaceChildren();
  for (const block of blocks) {
    const item = document.createElement("li");
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = block.kind === "connection" ? gettext("Connection time") : gettext("Autonomy time");
    const name = document.createElement("strong");
    name.textContent = blockName(block);
    const when = document.createElement("span");
    when.textContent = describe(block);
    const actions = document.createElement("p");
    actions.className = "row";
    actions.append(
      button(gettext("Edit"), () => edit(block)),
      button(block.muted ? gettext("Unmute for me") : gettext("Mute for me"), () => mute_(block), block.muted),
      button(gettext("Remove"), () => remove(block)),
    );
    item.append(kind, name, when, actions);
    list.append(item);
  }
  if (!blocks.length) list.replaceChildren(listItem(gettext("No blocks yet. Add your first below.")));
  if (app) app.store.muted = { all: mute.muted, blocks: blocks.filter((b) => b.muted).map((b) => b.id) };
  const all = $("mute-all");
  all.setAttribute("aria-pressed", String(mute.muted));
  all.textContent = mute.muted ? gettext("Unmute all my reminders") : gettext("Mute all my reminders");
  const week = $("upcoming");
  week.replaceChildren();
  for (const o of upcoming) {
    const item = document.createElement("li");
    const time = document.createElement("time");
    time.dateTime = o.starts_at;
    time.textContent = `${DAYS[(new Date(o.local_start.slice(0, 10)).getUTCDay() + 6) % 7]} ${o.local_start.slice(11)}–${o.local_end.slice(11)}`;
    item.append(time, blockName(o.block));
    week.append(item);
  }
  if (!upcoming.length) week.replaceChildren(listItem(gettext("Nothing planned this week.")));
}

// The block being edited: a name the app gave it, shown in this reader's language, is
// sent back as it is stored unless the person changed it (a rename is theirs).
let editing = null;
function edit(block) {
  editing = block;
  $("block-id").value = block.id;
  $("block-name").value = blockName(block);
  $("block-kind").value = block.kind;
  $("block-start").value = block.start;
  $("block-minutes").value = block.minutes;
  $("block-remind").value = block.remind_before ?? "";
  for (const box of form.querySelectorAll("input[name=day]")) box.checked = block.days.includes(Number(box.value));
  $("edit-h").textContent = interpolate(gettext("Edit “%(name)s”"), { name: blockName(block) }, true);
  $("block-save").textContent = gettext("Save");
  $("block-cancel").hidden = false;
  $("block-name").focus();
}

function reset() {
  editing = null;
  form.reset();
  $("block-id").value = "";
  $("edit-h").textContent = gettext("Add a block");
  $("block-save").textContent = gettext("Add");
  $("block-cancel").hidden = true;
}

async function mute_(block) {
  await api("PUT", `/api/rhythm/blocks/${block.id}/mute/`, { muted: !block.muted });
  load();
}

async function remove(block) {
  await api("DELETE", `/api/rhythm/blocks/${block.id}/`);
  load();
}

$("mute-all").addEventListener("click", async (event) => {
  const muted = event.currentTarget.getAttribute("aria-pressed") !== "true";
  await api("PUT", "/api/rhythm/mute/", { muted });
  load();
});

$("block-cancel").addEventListener("click", reset);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("block-error");
  error.hidden = true;
  const remind = $("block-remind").value;
  const typed = $("block-name").value;
  const body = {
    name: editing && typed === blockName(editing) ? editing.name : typed,
    kind: $("block-kind").value,
    start: $("block-start").value,
    minutes: Number($("block-minutes").value),
    remind_before: remind ? Number(remind) : null,
    days: [...form.querySelectorAll("input[name=day]:checked")].map((b) => Number(b.value)),
  };
  const id = $("block-id").value;
  try {
    await api(id ? "PATCH" : "POST", id ? `/api/rhythm/blocks/${id}/` : "/api/rhythm/blocks/", body);
    reset();
    load();
  } catch (e) {
    error.textContent = firstError(e);
    error.hidden = false;
  }
});

function showCalendar(feed) {
  $("cal-state").textContent = feed.active
    ? gettext("Your calendar link is on. It is shown only when it is made; a new link stops the old one.")
    : gettext("No calendar link yet.");
  $("cal-make").textContent = feed.active ? gettext("Make a new link") : gettext("Make my calendar link");
  $("cal-stop").hidden = !feed.active;
}

async function loadCalendar() {
  showCalendar(await api("GET", "/api/rhythm/calendar/"));
}

$("cal-make").addEventListener("click", async () => {
  const { url } = await api("POST", "/api/rhythm/calendar/");
  $("cal-url").value = url;
  $("cal-open").href = url.replace(/^https?:/, "webcal:");
  $("cal-made").hidden = false;
  showCalendar({ active: true });
  $("cal-url").select();
});

$("cal-copy").addEventListener("click", async () => {
  await navigator.clipboard?.writeText($("cal-url").value);
  $("cal-copy").textContent = gettext("Copied");
});

$("cal-stop").addEventListener("click", async () => {
  await api("DELETE", "/api/rhythm/calendar/");
  $("cal-made").hidden = true;
  $("cal-url").value = "";
  showCalendar({ active: false });
  $("cal-state").textContent = gettext("The link is stopped: calendars that had it no longer update.");
});

load();
loadCalendar();
app?.on((frame) => {
  if (frame.type === "event" && frame.kind === "rhythm.changed") load();
});
