// Checks the independent JavaScript verifier against every published test
// vector: each expected record must verify, each input must reproduce the
// expected requests root and allocations, and tampered records must be
// caught at the right place. Run: node web/static/verify/verify.test.mjs
import { readFile, readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import vm from "node:vm";
import assert from "node:assert/strict";

const here = path.dirname(fileURLToPath(import.meta.url));
const vectors = path.join(here, "..", "..", "..", "docs", "draw", "vectors");

vm.runInThisContext(await readFile(path.join(here, "verify.js"), "utf8"), { filename: "verify.js" });
const { verify, run } = globalThis.SendaVerify;

let failures = 0;
let checks = 0;
async function check(name, fn) {
  checks++;
  try {
    await fn();
  } catch (e) {
    failures++;
    console.error(`FAIL ${name}: ${e.message}`);
  }
}

async function expectInvalid(text, prefix) {
  const res = await verify(text);
  assert.equal(res.ok, false, `got valid, want an error starting ${prefix}`);
  assert.ok(res.error.startsWith(prefix), `got error ${JSON.stringify(res.error)}, want one starting ${JSON.stringify(prefix)}`);
}

const names = (await readdir(vectors)).filter((f) => f.endsWith(".expected.json")).sort();
if (names.length < 4) {
  console.error(`got ${names.length} test vectors in ${vectors}, want at least 4`);
  process.exit(1);
}

for (const name of names) {
  const base = name.replace(/\.expected\.json$/, "");
  const expectedText = await readFile(path.join(vectors, name), "utf8");
  const inputText = await readFile(path.join(vectors, base + ".input.json"), "utf8");
  const expected = JSON.parse(expectedText);

  await check(`${base}: expected record verifies`, async () => {
    const res = await verify(expectedText);
    assert.equal(res.ok, true, res.error);
  });

  await check(`${base}: input reproduces the expected outcome`, async () => {
    const out = await run(inputText);
    assert.equal(out.requests_root, expected.requests_root);
    assert.deepEqual(out.allocations, expected.allocations);
  });

  await check(`${base}: a wrong seed is caught`, async () => {
    const bad = { ...expected, seed: "00".repeat(32) };
    await expectInvalid(JSON.stringify(bad), "commitment: seed does not hash to commitment");
  });

  await check(`${base}: a changed request is caught`, async () => {
    const bad = structuredClone(expected);
    bad.requests[0].size += 1;
    await expectInvalid(JSON.stringify(bad), "requests_root: got ");
  });

  await check(`${base}: a repeated key is caught`, async () => {
    await expectInvalid(expectedText.replace('"format": "senda-draw/1",', '"format": "senda-draw/1", "format": "senda-draw/1",'), '"format": repeated key');
  });

  if (expected.allocations.length > 0) {
    const last = expected.allocations.length - 1;
    await check(`${base}: a dropped allocation is caught`, async () => {
      const bad = structuredClone(expected);
      bad.allocations.pop();
      await expectInvalid(JSON.stringify(bad), `allocations[${last}]: got none, want {"request":${JSON.stringify(expected.allocations[last].request)}`);
    });
    await check(`${base}: a changed phase is caught`, async () => {
      const bad = structuredClone(expected);
      bad.allocations[0].phase = bad.allocations[0].phase === "priority" ? "lottery" : "priority";
      await expectInvalid(JSON.stringify(bad), "allocations[0]: got ");
    });
    await check(`${base}: a start written with an offset is the same instant`, async () => {
      const same = structuredClone(expected);
      const a = same.allocations[0];
      const t = new Date(a.start);
      t.setUTCHours(t.getUTCHours() - 6);
      a.start = t.toISOString().replace(/\.000Z$/, "-06:00");
      const res = await verify(JSON.stringify(same));
      assert.equal(res.ok, true, res.error);
    });
  } else {
    await check(`${base}: an invented allocation is caught`, async () => {
      const bad = structuredClone(expected);
      bad.allocations.push({ request: "x", location: "ELP", start: "2025-03-01T15:00:00Z", phase: "lottery" });
      await expectInvalid(JSON.stringify(bad), "allocations[0]: got {");
    });
  }
}

await check("numbers with a fraction are rejected", async () => {
  const text = await readFile(path.join(vectors, names[0]), "utf8");
  await expectInvalid(text.replace(/"size":1,/, '"size":1.0,'), "number 1.0: not an integer");
});

await check("unknown fields are rejected", async () => {
  await expectInvalid(JSON.stringify({ format: "senda-draw/1", extra: 1 }), "extra: unknown field");
});

console.log(`${checks - failures}/${checks} checks passed over ${names.length} vectors`);
process.exit(failures > 0 ? 1 : 0);
