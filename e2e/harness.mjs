// Test harness: starts the real `senda serve` on a free port, on SQLite by
// default or on PostgreSQL when SENDA_E2E_DATABASE_URL is set, and drives
// Debian's chromium through playwright-core. It never downloads a browser.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function senda() {
  const bin = process.env.SENDA_BIN || join(root, '.bin', 'senda');
  if (!existsSync(bin)) {
    execFileSync('go', ['build', '-o', bin, './cmd/senda'], { cwd: root, stdio: 'inherit' });
  }
  return bin;
}

// startServer runs senda serve and resolves when it listens. Pass
// { data } to serve a data directory prepared beforehand (it is kept).
export async function startServer(extraArgs = [], options = {}) {
  const data = options.data || mkdtempSync(join(tmpdir(), 'senda-e2e-'));
  const args = ['serve', '--addr', '127.0.0.1:0', '--data', data, ...extraArgs];
  if (process.env.SENDA_E2E_DATABASE_URL) args.push('--database-url', process.env.SENDA_E2E_DATABASE_URL);
  const proc = spawn(senda(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('senda did not start in 30 s:\n' + log)), 30000);
    proc.stderr.on('data', (chunk) => {
      log += chunk;
      for (const line of log.split('\n')) {
        try {
          const rec = JSON.parse(line);
          if (rec.msg === 'senda listening') { clearTimeout(timer); resolve(rec.addr); }
        } catch { /* partial line */ }
      }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`senda exited with ${code}:\n${log}`)); });
  });
  return {
    url,
    log: () => log,
    async stop() {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
      if (!options.data) rmSync(data, { recursive: true, force: true });
    },
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
}
