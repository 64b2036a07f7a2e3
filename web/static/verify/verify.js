// Independent verifier of Senda draw records (format senda-draw/1).
//
// It recomputes a published record from its own inputs with the WebCrypto
// API (crypto.subtle: SHA-256 and HMAC-SHA256) and reports "valid" or the
// first difference. It shares no code with the server. It runs in a browser
// (loaded by verify.html) and under Node 20 or later (globalThis.crypto).
//
// API, on globalThis.SendaVerify:
//   verify(recordOrText) -> Promise<{ok: true, summary} | {ok: false, error}>
//   run(recordOrText)    -> Promise<{requests_root, allocations}>
// Errors name a location, such as "allocations[17]: got {...}, want {...}".
(function () {
  "use strict";

  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  const utf8 = new TextEncoder();

  class RecordError extends Error {}

  function fail(message) {
    throw new RecordError(message);
  }

  // ---- bytes and hex ----

  function hexToBytes(hex) {
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) {
      out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    }
    return out;
  }

  function bytesToHex(bytes) {
    let s = "";
    for (const b of bytes) s += b.toString(16).padStart(2, "0");
    return s;
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  function compareBytes(a, b) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return a.length - b.length;
  }

  async function sha256(bytes) {
    return new Uint8Array(await subtle.digest("SHA-256", bytes));
  }

  // ---- strict reading of the record ----

  // Rejects what JSON.parse lets through but a record may not hold: repeated
  // keys in an object (JSON.parse silently keeps the last one) and numbers
  // with a fraction or an exponent (every number in a record is an
  // integer). The text is already known to be valid JSON.
  function checkText(text) {
    const stack = [];
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === "-" || (c >= "0" && c <= "9")) {
        let j = i;
        while (j < text.length && "+-.eE0123456789".includes(text[j])) j++;
        if (!/^-?(0|[1-9][0-9]*)$/.test(text.slice(i, j))) fail(`number ${text.slice(i, j)}: not an integer`);
        i = j - 1;
      } else if (c === '"') {
        let j = i + 1;
        while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
        const top = stack[stack.length - 1];
        if (top && top.keys && top.expectKey) {
          const key = JSON.parse(text.slice(i, j + 1));
          if (top.keys.has(key)) fail(`${JSON.stringify(key)}: repeated key in an object`);
          top.keys.add(key);
          top.expectKey = false;
        }
        i = j;
      } else if (c === "{") {
        stack.push({ keys: new Set(), expectKey: true });
      } else if (c === "[") {
        stack.push({});
      } else if (c === "}" || c === "]") {
        stack.pop();
      } else if (c === ",") {
        const top = stack[stack.length - 1];
        if (top.keys) top.expectKey = true;
      }
    }
  }

  const HEX64 = /^[0-9a-f]{64}$/;
  const HEX = /^(?:[0-9a-f]{2}){1,512}$/;
  const ID = /^[!-{}~]{1,128}$/; // printable ASCII except space and "|"
  const CODE = /^[!-+\--{}~]{1,32}$/; // printable ASCII except space, "," and "|"
  const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
  const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(Z|([+-])(\d{2}):(\d{2}))$/;

  // Returns seconds since 1970 for a valid date and time, or null.
  function civilSeconds(y, mo, d, h, mi, s) {
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null;
    const t = new Date(0);
    t.setUTCFullYear(y, mo - 1, d);
    if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return null;
    return t.getTime() / 1000 + h * 3600 + mi * 60 + s;
  }

  // Parses "YYYY-MM-DDTHH:MM:SSZ", or with offsets when allowed, to
  // seconds since 1970.
  function instant(value, where, offsets) {
    const m = typeof value === "string" && INSTANT.exec(value);
    if (!m || (!offsets && m[7] !== "Z")) fail(`${where}: not a time in whole seconds (${offsets ? "RFC 3339" : "YYYY-MM-DDTHH:MM:SSZ"})`);
    const n = m.slice(1, 7).map(Number);
    let secs = civilSeconds(...n);
    if (secs === null) fail(`${where}: not a valid time`);
    if (m[7] !== "Z") {
      const oh = Number(m[9]);
      const om = Number(m[10]);
      if (oh > 23 || om > 59) fail(`${where}: offset out of range`);
      secs -= (m[8] === "-" ? -1 : 1) * (oh * 3600 + om * 60);
    }
    const year = new Date(secs * 1000).getUTCFullYear();
    if (year < 1 || year > 9999) fail(`${where}: year out of range`);
    return secs;
  }

  function formatInstant(secs) {
    const t = new Date(secs * 1000);
    const p = (n, w) => String(n).padStart(w, "0");
    return `${p(t.getUTCFullYear(), 4)}-${p(t.getUTCMonth() + 1, 2)}-${p(t.getUTCDate(), 2)}T` +
      `${p(t.getUTCHours(), 2)}:${p(t.getUTCMinutes(), 2)}:${p(t.getUTCSeconds(), 2)}Z`;
  }

  function object(value, where, required, optional) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) fail(`${where || "record"}: not an object`);
    for (const k of Object.keys(value)) {
      if (!required.includes(k) && !optional.includes(k)) fail(`${where ? where + "." : ""}${k}: unknown field`);
    }
    for (const k of required) {
      if (!(k in value)) fail(`${where ? where + "." : ""}${k}: required`);
    }
  }

  function integer(value, where, min, max) {
    if (!Number.isSafeInteger(value) || value < min || value > max) fail(`${where}: not an integer in ${min}..${max}`);
    return value;
  }

  function matches(value, re, where, what) {
    if (typeof value !== "string" || !re.test(value)) fail(`${where}: not ${what}`);
    return value;
  }

  function array(value, where, max) {
    if (!Array.isArray(value)) fail(`${where}: not an array`);
    if (value.length > max) fail(`${where}: more than ${max} elements`);
    return value;
  }

  // Reads and checks a record; allocations are required when published.
  function read(input, published) {
    let rec = input;
    if (typeof input === "string") {
      try {
        rec = JSON.parse(input);
      } catch (e) {
        fail(`not JSON: ${e.message}`);
      }
      checkText(input);
    }
    const required = ["format", "service_date", "commitment", "seed", "slots", "requests"];
    if (published) required.push("requests_root", "allocations");
    object(rec, "", required, ["requests_root", "beacon", "priority_share_bp", "allocations"]);
    if (rec.format !== "senda-draw/1") fail(`format: not "senda-draw/1"`);
    const d = typeof rec.service_date === "string" && DATE.exec(rec.service_date);
    if (!d || civilSeconds(Number(d[1]), Number(d[2]), Number(d[3]), 0, 0, 0) === null) fail("service_date: not a date YYYY-MM-DD");
    matches(rec.commitment, HEX64, "commitment", "64 lowercase hex digits");
    matches(rec.seed, HEX64, "seed", "64 lowercase hex digits");
    if ("requests_root" in rec) matches(rec.requests_root, HEX64, "requests_root", "64 lowercase hex digits");
    let beacon = null;
    if (rec.beacon !== undefined && rec.beacon !== null) {
      object(rec.beacon, "beacon", ["source", "round", "value"], []);
      const s = rec.beacon.source;
      if (typeof s !== "string" || s.length === 0 || utf8.encode(s).length > 256 || /[\u0000-\u001f\u007f-\u009f]/.test(s)) {
        fail("beacon.source: not a text of 1 to 256 bytes");
      }
      integer(rec.beacon.round, "beacon.round", 0, Number.MAX_SAFE_INTEGER);
      beacon = hexToBytes(matches(rec.beacon.value, HEX, "beacon.value", "lowercase hex of 1 to 512 bytes"));
    }
    const bp = "priority_share_bp" in rec ? integer(rec.priority_share_bp, "priority_share_bp", 0, 10000) : 2500;

    const slots = array(rec.slots, "slots", 10000).map((s, i) => {
      const at = `slots[${i}]`;
      object(s, at, ["location", "start", "capacity"], []);
      return {
        location: matches(s.location, CODE, at + ".location", "a location code"),
        start: instant(s.start, at + ".start", true),
        capacity: integer(s.capacity, at + ".capacity", 0, 100000),
        position: i,
      };
    });
    const ids = new Set();
    const requests = array(rec.requests, "requests", 1000000).map((r, i) => {
      const at = `requests[${i}]`;
      object(r, at, ["id", "size", "registered_at", "preferences"], []);
      const id = matches(r.id, ID, at + ".id", "a request id");
      if (ids.has(id)) fail(`${at}.id: repeated id ${JSON.stringify(id)}`);
      ids.add(id);
      const prefs = array(r.preferences, at + ".preferences", 3);
      if (prefs.length === 0) fail(`${at}.preferences: empty`);
      prefs.forEach((p, j) => {
        matches(p, CODE, `${at}.preferences[${j}]`, "a location code");
        if (prefs.indexOf(p) !== j) fail(`${at}.preferences[${j}]: repeated`);
      });
      return {
        id,
        idBytes: utf8.encode(id),
        size: integer(r.size, at + ".size", 1, 1000),
        registeredText: r.registered_at,
        registered: instant(r.registered_at, at + ".registered_at", false),
        preferences: prefs.slice(),
      };
    });
    let allocations = null;
    if ("allocations" in rec) {
      allocations = array(rec.allocations, "allocations", 1000000).map((a, i) => {
        const at = `allocations[${i}]`;
        object(a, at, ["request", "location", "start", "phase"], []);
        matches(a.request, ID, at + ".request", "a request id");
        matches(a.location, CODE, at + ".location", "a location code");
        if (a.phase !== "priority" && a.phase !== "lottery") fail(`${at}.phase: not "priority" or "lottery"`);
        return { request: a.request, location: a.location, start: instant(a.start, at + ".start", true), phase: a.phase };
      });
    }
    return { rec, beacon, bp, slots, requests, allocations };
  }

  // ---- the draw ----

  async function compute(r) {
    const seed = hexToBytes(r.rec.seed);
    const commitment = bytesToHex(await sha256(seed));
    if (commitment !== r.rec.commitment) fail("commitment: seed does not hash to commitment");

    const byId = r.requests.slice().sort((a, b) => compareBytes(a.idBytes, b.idBytes));
    const text = byId.map((q) => `${q.id}|${q.size}|${q.registeredText}|${q.preferences.join(",")}\n`).join("");
    const root = await sha256(utf8.encode(text));
    const key = await sha256(concat(seed, root, r.beacon || new Uint8Array(0)));

    // Slots of each location, earliest first, then by position.
    const byLocation = new Map();
    let total = 0n;
    for (const s of r.slots) {
      const slot = { ...s, remaining: s.capacity };
      if (!byLocation.has(s.location)) byLocation.set(s.location, []);
      byLocation.get(s.location).push(slot);
      total += BigInt(s.capacity);
    }
    for (const list of byLocation.values()) list.sort((a, b) => a.start - b.start || a.position - b.position);
    const budget = Number((total * BigInt(r.bp)) / 10000n);

    const allocations = [];
    const placed = new Set();
    const tryPlace = (q, phase) => {
      for (const code of q.preferences) {
        for (const slot of byLocation.get(code) || []) {
          if (slot.remaining >= q.size) {
            slot.remaining -= q.size;
            placed.add(q.id);
            allocations.push({ request: q.id, location: slot.location, start: slot.start, phase });
            return true;
          }
        }
      }
      return false;
    };

    const byAge = r.requests.slice().sort((a, b) => a.registered - b.registered || compareBytes(a.idBytes, b.idBytes));
    let used = 0;
    for (const q of byAge) {
      if (used + q.size <= budget && tryPlace(q, "priority")) used += q.size;
    }

    const hmacKey = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const rest = r.requests.filter((q) => !placed.has(q.id));
    const macs = [];
    for (let i = 0; i < rest.length; i += 10000) {
      const part = rest.slice(i, i + 10000);
      const sums = await Promise.all(part.map((q) => subtle.sign("HMAC", hmacKey, q.idBytes)));
      sums.forEach((m, j) => macs.push({ q: part[j], mac: new Uint8Array(m) }));
    }
    macs.sort((a, b) => compareBytes(a.mac, b.mac) || compareBytes(a.q.idBytes, b.q.idBytes));
    for (const { q } of macs) tryPlace(q, "lottery");

    return { requestsRoot: bytesToHex(root), allocations };
  }

  function allocationText(a) {
    return `{"request":${JSON.stringify(a.request)},"location":${JSON.stringify(a.location)},` +
      `"start":"${formatInstant(a.start)}","phase":"${a.phase}"}`;
  }

  function publicAllocation(a) {
    return { request: a.request, location: a.location, start: formatInstant(a.start), phase: a.phase };
  }

  // run computes the requests root and the allocations of an input record.
  async function run(input) {
    const r = read(input, false);
    const out = await compute(r);
    return { requests_root: out.requestsRoot, allocations: out.allocations.map(publicAllocation) };
  }

  // verify recomputes a published record and returns the first difference.
  async function verify(input) {
    try {
      if (!subtle) fail("this browser has no WebCrypto (crypto.subtle); open the page over https");
      const r = read(input, true);
      const out = await compute(r);
      if (out.requestsRoot !== r.rec.requests_root) {
        fail(`requests_root: got ${r.rec.requests_root}, want ${out.requestsRoot}`);
      }
      const got = r.allocations;
      const want = out.allocations;
      for (let i = 0; i < Math.max(got.length, want.length); i++) {
        const g = got[i];
        const w = want[i];
        if (g && w && g.request === w.request && g.location === w.location && g.start === w.start && g.phase === w.phase) continue;
        fail(`allocations[${i}]: got ${g ? allocationText(g) : "none"}, want ${w ? allocationText(w) : "none"}`);
      }
      return {
        ok: true,
        summary: {
          service_date: r.rec.service_date,
          slots: r.slots.length,
          requests: r.requests.length,
          allocations: want.length,
          priority: want.filter((a) => a.phase === "priority").length,
          beacon: r.rec.beacon ? `${r.rec.beacon.source}, round ${r.rec.beacon.round}` : null,
        },
      };
    } catch (e) {
      if (e instanceof RecordError) return { ok: false, error: e.message };
      throw e;
    }
  }

  const api = { verify, run };
  globalThis.SendaVerify = api;

  // ---- the page ----

  function setUp() {
    const form = document.getElementById("verify-form");
    if (!form) return;
    const text = document.getElementById("record");
    const file = document.getElementById("record-file");
    const result = document.getElementById("result");
    const show = (state, lines) => {
      result.className = "result " + state;
      result.replaceChildren(...lines.map((l) => {
        const p = document.createElement("p");
        p.textContent = l;
        return p;
      }));
    };
    file.addEventListener("change", async () => {
      if (file.files.length > 0) text.value = await file.files[0].text();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      show("pending", ["Checking…"]);
      try {
        const res = await verify(text.value);
        if (res.ok) {
          const s = res.summary;
          show("valid", [
            "valid",
            `Service date ${s.service_date}: ${s.requests} requests, ${s.slots} slots, ` +
              `${s.allocations} allocations (${s.priority} by priority, ${s.allocations - s.priority} by lottery).`,
            s.beacon ? `Beacon: ${s.beacon}.` : "No public beacon was recorded for this draw: the guarantee rests on the seed commitment alone.",
          ]);
        } else {
          show("invalid", ["not valid", res.error]);
        }
      } catch (e) {
        show("invalid", ["could not check the record", String(e)]);
      }
    });
  }

  if (typeof document !== "undefined") {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
    else setUp();
  }
})();
