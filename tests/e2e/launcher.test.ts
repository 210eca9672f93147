/**
 * The README's first command: the launcher brings both districts up, serves, and on Ctrl-C stops
 * every child it started. Run on shifted ports and in a temp home so it never meets a copy that a
 * developer has running.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/processes.js';
import { applicationFor, getJson, postJson } from '../helpers/applications.js';
import { eventually } from '../helpers/gateways.js';

const home = mkdtempSync(join(tmpdir(), 'kc-launch-'));
// Shifted ports stay below 32768, where Linux hands out ephemeral ports (freePort() in other tests).
const offset = 10_000 + Math.floor(Math.random() * 12_000);
const port = (base: number) => base + offset;

afterAll(() => rmSync(home, { recursive: true, force: true }));

function listening(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port: p });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('npm run start:local', () => {
  it('when launched, then both districts serve and make certificates; when interrupted, then every child stops', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/launch-local.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, KC_LOCAL_PORT_OFFSET: String(offset), KC_LOCAL_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        output.push(line);
        if (line.includes('Press Ctrl-C to stop')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`launcher exited (${code}):\n${output.join('\n')}`)));
    });
    await ready;
    expect(output.join('\n')).toContain(`http://127.0.0.1:${port(8081)}/api/v1/cases`);
    expect(statSync(join(home, 'certs', 'districts', 'liwan', 'gateway-key.pem')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(home, 'var', 'liwan', 'redis', 'appendonlydir'))).toBe(true);

    const created = await postJson(`http://127.0.0.1:${port(8081)}/api/v1/cases`, applicationFor('nanhai'));
    expect(created.status).toBe(201);
    await eventually(async () => (await getJson(`http://127.0.0.1:${port(8082)}/api/v1/cases/${created.body.caseNo}`)).body.state === 'registered', 'registered in Nanhai');

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const p of [8081, 8082, 9443, 9444, 9543, 9544, 4101, 4102, 6391, 6392]) expect(await listening(port(p))).toBe(false);
  }, 120_000);
});
