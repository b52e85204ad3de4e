// The phone's store of the couple's state: a snapshot and the seq it stands at, moved on
// by each event the way the server moves its own (tests/test_socket.py holds the two
// together). Every page reads it. It is kept in localStorage, so that a reload with no
// network shows the newest state this phone ever received, not the page it cached.
const KEY = (userId) => `porchlight.state.${userId}`;

export class Store {
  constructor(boot) {
    this.me = boot.me;
    this.listeners = [];
    const saved = read(KEY(this.me.id));
    // A page from the offline cache carries an older snapshot than the one kept here;
    // a page of another couple (paired anew) starts afresh.
    const keep = saved && boot.couple && saved.couple.id === boot.couple.id && saved.couple.seq > boot.couple.seq;
    this.couple = keep ? saved.couple : boot.couple;
    this.heardAt = keep ? saved.heardAt : boot.at;
    this.muted = boot.muted || { all: false, blocks: [] };
    this.save();
  }

  get seq() { return this.couple.seq; }
  partner() { return this.couple.partners.find((p) => !p.is_me) || null; }
  mine() { return this.couple.partners.find((p) => p.is_me); }
  person(id) { return this.couple.partners.find((p) => p.id === id); }

  // Applying an event to the snapshot gives the snapshot the server would send now.
  apply(event) {
    const data = event.data;
    const couple = this.couple;
    switch (event.kind) {
      case "signal.changed": {
        // A note added to the same light keeps its answer; a new light starts without one.
        const who = this.person(data.user);
        const answer = data.previous === data.state ? who.signal.answer ?? null : null;
        // A note added to the same light keeps when it came on, too.
        const since = data.previous === data.state ? who.signal.since ?? data.set_at : data.set_at;
        who.signal = { state: data.state, note: data.note, set_at: data.set_at, since, answer };
        break;
      }
      case "signal.answered":
        if (this.person(data.to)) {
          const { reply, note, light_seq } = data;
          this.person(data.to).signal.answer = { by: event.actor, reply, note, at: event.at, light_seq };
        }
        break;
      case "preview.posted":
        this.person(data.user).preview = data.preview;
        this.person(data.user).back_at = null;
        break;
      case "preview.cleared":
        this.person(data.user).preview = null;
        break;
      case "reunion":
        this.person(data.user).preview = null;
        this.person(data.user).back_at = event.at;
        break;
      case "flag.raised":
        couple.flag = data.flag;
        break;
      case "flag.dismissed":
        if (couple.flag?.id === data.flag) couple.flag = null;
        break;
      case "settings.changed":
        couple.settings = { ...couple.settings, ...data.changed };
        break;
      case "reminder.fired":
        if (data.reminder === "start") couple.rhythm_now = data;
        break;
      case "agreement.made":
        if (this.person(data.user)) this.person(data.user).agreed_at = event.at;
        break;
      case "assessment.shared":
        if (this.person(event.actor)) this.person(event.actor).assessment = data.assessment;
        break;
    }
    couple.seq = event.seq;
  }

  reset(couple) {
    this.couple = couple;
  }

  // What the server said last, and when: a page shows "last known" with this time.
  heard() {
    this.heardAt = new Date().toISOString();
    this.save();
  }

  save() {
    if (!this.couple) return;
    localStorage.setItem(KEY(this.me.id), JSON.stringify({ couple: this.couple, heardAt: this.heardAt }));
  }

  subscribe(listener) {
    this.listeners.push(listener);
  }

  emit(frame) {
    for (const listener of this.listeners) listener(frame);
  }
}

function read(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}
