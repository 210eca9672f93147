/**
 * docker-compose.yml and the Dockerfile, checked without Docker: the two districts are wired to
 * each other and to their own Redis, simulator and certificates, and every file the containers run
 * exists in the repository.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/process.js';

type Json = unknown;
interface Service {
  image?: string;
  build?: Json;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: (string | { type?: string; source?: string; target: string; read_only?: boolean })[];
  ports?: (string | number | { published?: string | number; target: number; host_ip?: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  restart?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, Json>;
}

const DISTRICTS = ['liwan', 'nanhai'] as const;
type District = (typeof DISTRICTS)[number];
const other = (d: District): District => (d === 'liwan' ? 'nanhai' : 'liwan');

const REQUIRED_GATEWAY_ENV = [
  'KC_DISTRICT',
  'KC_REDIS_URL',
  'KC_HTTP_HOST',
  'KC_HTTP_PORT',
  'KC_PEER_PORT',
  'KC_PARTNER_PORT',
  'KC_PEER_URL',
  'KC_TLS_CERT',
  'KC_TLS_KEY',
  'KC_TRUST_DIR',
  'KC_APPROVAL_URL',
  'KC_APPROVAL_CALLBACK_SECRET',
] as const;

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as Compose;
const services = compose.services;

function service(name: string): Service {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}

/** Compose interpolation, as `docker compose` resolves it with nothing set: ${X:-default} → default. */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_m, _name: string, def?: string) => def ?? '');
}

function env(name: string): Record<string, string> {
  const raw = service(name).environment ?? {};
  const out: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const eq = entry.indexOf('=');
      if (eq > 0) out[entry.slice(0, eq)] = interpolate(entry.slice(eq + 1));
    }
  } else {
    for (const [k, v] of Object.entries(raw)) if (v !== null) out[k] = interpolate(String(v));
  }
  return out;
}

function command(name: string): string[] {
  const c = service(name).command;
  if (c === undefined) return [];
  return Array.isArray(c) ? c.map(String) : c.split(/\s+/).filter(Boolean);
}

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
  named: boolean;
}
function mounts(name: string): Mount[] {
  return (service(name).volumes ?? []).map((v) => {
    if (typeof v === 'string') {
      const [source = '', target = '', mode = ''] = v.split(':');
      return { source, target, readOnly: mode.split(',').includes('ro'), named: !/^[./~]/.test(source) };
    }
    const source = v.source ?? '';
    return { source, target: v.target, readOnly: v.read_only === true, named: v.type !== 'bind' && !/^[./~]/.test(source) };
  });
}

function hostPorts(name: string): number[] {
  return (service(name).ports ?? []).flatMap((p) => {
    if (typeof p === 'number') return [p];
    if (typeof p === 'object') return p.published === undefined ? [] : [Number(p.published)];
    const parts = p.split('/')[0]!.split(':');
    return parts.length >= 2 ? [Number(parts[parts.length - 2])] : [];
  });
}

function dependsOn(name: string): Record<string, string | undefined> {
  const d = service(name).depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((s) => [s, undefined]));
  return Object.fromEntries(Object.entries(d).map(([s, v]) => [s, v?.condition]));
}

function hostPort(hostAndPort: string): { host: string; port: number } {
  const m = /^([^:/]+):(\d+)$/.exec(hostAndPort);
  if (!m) throw new Error(`not host:port: ${hostAndPort}`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** The first .ts file a command runs. */
function entryFile(cmd: string[]): string | undefined {
  return cmd.find((a) => a.endsWith('.ts'));
}

const APP_SERVICES = ['certs', ...DISTRICTS.flatMap((d) => [`approval-${d}`, `gateway-${d}`])];

describe('docker-compose.yml', () => {
  it('when parsed, then it has both districts: two Redis, two simulators, two gateways and the certs job', () => {
    expect(Object.keys(services).sort()).toEqual(
      expect.arrayContaining([
        'certs',
        'redis-liwan',
        'redis-nanhai',
        'approval-liwan',
        'approval-nanhai',
        'gateway-liwan',
        'gateway-nanhai',
      ]),
    );
  });

  it('when the app services start, then they all run the image built from the Dockerfile with node --import tsx', () => {
    for (const name of APP_SERVICES) {
      expect(service(name).build, name).toBeDefined();
      expect(command(name).slice(0, 3), name).toEqual(['node', '--import', 'tsx']);
    }
    expect(new Set(APP_SERVICES.map((n) => service(n).image)).size).toBe(1);
  });

  describe.each(DISTRICTS)('gateway-%s', (d) => {
    const name = `gateway-${d}`;

    it('when configured, then every required KC_* variable is set, for its own district', () => {
      const e = env(name);
      for (const key of REQUIRED_GATEWAY_ENV) expect(e[key], `${name} ${key}`).toBeTruthy();
      expect(e.KC_DISTRICT).toBe(d);
      expect(e.KC_HTTP_HOST).toBe('0.0.0.0');
      // The peer server binds KC_PEER_HOST (default 127.0.0.1): in a container it must listen on all.
      expect(e.KC_PEER_HOST).toBe('0.0.0.0');
      expect(command(name)).toEqual(['node', '--import', 'tsx', 'gateway/main.ts']);
    });

    it('when it connects to Redis, then it is its own Redis service, with AOF on and a named volume', () => {
      const url = new URL(env(name).KC_REDIS_URL!);
      expect(url.protocol).toBe('redis:');
      expect(url.hostname).toBe(`redis-${d}`);
      const redis = service(url.hostname);
      expect(redis.image).toMatch(/^redis:/);
      const cmd = command(url.hostname);
      expect(cmd[cmd.indexOf('--appendonly') + 1]).toBe('yes');
      expect(mounts(url.hostname)).toContainEqual(expect.objectContaining({ target: '/data', named: true }));
      expect(dependsOn(name)[url.hostname]).toBe('service_healthy');
      const otherRedis = new URL(env(`gateway-${other(d)}`).KC_REDIS_URL!).hostname;
      expect(otherRedis).not.toBe(url.hostname);
    });

    it("when it calls its peer, then KC_PEER_URL is the other gateway's peer port", () => {
      const peer = hostPort(env(name).KC_PEER_URL!);
      const otherName = `gateway-${other(d)}`;
      expect(peer.host).toBe(otherName);
      expect(peer.port).toBe(Number(env(otherName).KC_PEER_PORT));
      // No start-up cycle: a gateway copes with its peer being down (the outbox retries).
      expect(Object.keys(dependsOn(name))).not.toContain(otherName);
    });

    it('when it talks to its approval simulator, then URL, callback URL and secret match on both sides', () => {
      const e = env(name);
      const approvalUrl = new URL(e.KC_APPROVAL_URL!);
      expect(approvalUrl.hostname).toBe(`approval-${d}`);
      const sim = env(approvalUrl.hostname);
      expect(Number(approvalUrl.port)).toBe(Number(sim.SIM_PORT));
      expect(sim.SIM_HOST).toBe('0.0.0.0');
      const callback = new URL(sim.SIM_CALLBACK_URL!);
      expect([callback.hostname, Number(callback.port), callback.pathname]).toEqual([
        name,
        Number(e.KC_HTTP_PORT),
        '/api/v1/approval-callbacks',
      ]);
      expect(sim.SIM_CALLBACK_SECRET).toBe(e.KC_APPROVAL_CALLBACK_SECRET);
      expect(e.KC_APPROVAL_CALLBACK_SECRET!.length).toBeGreaterThanOrEqual(16); // gateway/config.ts
      expect(command(approvalUrl.hostname)).toEqual(['node', '--import', 'tsx', `adapters/${d}/simulator-main.ts`]);
      expect(mounts(approvalUrl.hostname)).toContainEqual(expect.objectContaining({ target: sim.SIM_DATA_DIR, named: true }));
      expect(dependsOn(name)[approvalUrl.hostname]).toBeDefined();
    });

    it('when it follows parcels, then it uses the courier simulator with matching credentials and its own push route', () => {
      const e = env(name);
      const courierUrl = new URL(e.KC_COURIER_URL!);
      const sim = env(courierUrl.hostname);
      expect(command(courierUrl.hostname)).toEqual(['node', '--import', 'tsx', 'courier/ems/simulator-main.ts']);
      expect(Number(courierUrl.port)).toBe(Number(sim.SIM_PORT));
      expect(sim.SIM_HOST).toBe('0.0.0.0');
      expect([e.KC_COURIER_PARTNER_ID, e.KC_COURIER_API_KEY, e.KC_COURIER_PUSH_SECRET]).toEqual([sim.SIM_PARTNER_ID, sim.SIM_API_KEY, sim.SIM_PUSH_SECRET]);
      expect(e.KC_COURIER_PUSH_SECRET!.length).toBeGreaterThanOrEqual(16); // gateway/config.ts
      const callback = new URL(e.KC_COURIER_CALLBACK_URL!);
      expect([callback.hostname, Number(callback.port), callback.pathname]).toEqual([name, Number(e.KC_HTTP_PORT), '/courier/ems/push']);
      expect(dependsOn(name)[courierUrl.hostname]).toBe('service_healthy');
    });

    it('when it loads its certificate, then it reads the certs volume read-only, after the certs job completed', () => {
      const e = env(name);
      const certsMount = mounts('certs').find((m) => m.named);
      expect(certsMount).toBeDefined();
      const dir = certsMount!.target;
      expect(command('certs')).toEqual(expect.arrayContaining(['certs/cli.ts', '--dir', dir]));
      expect(mounts(name)).toContainEqual({ source: certsMount!.source, target: dir, readOnly: true, named: true });
      expect(e.KC_TLS_CERT).toBe(`${dir}/districts/${d}/gateway.pem`);
      expect(e.KC_TLS_KEY).toBe(`${dir}/districts/${d}/gateway-key.pem`);
      expect(e.KC_TRUST_DIR).toBe(`${dir}/trust`);
      expect(dependsOn(name).certs).toBe('service_completed_successfully');
    });
  });

  it('when volumes are mounted, then every named volume is declared at the top level, and every declared one is used', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const used = new Set(Object.keys(services).flatMap((n) => mounts(n).filter((m) => m.named).map((m) => m.source)));
    for (const v of used) expect(declared, `volume ${v}`).toContain(v);
    for (const v of declared) expect([...used], `volume ${v}`).toContain(v);
  });

  it('when ports are published, then no two services share a host port and none is 6379', () => {
    const all = Object.keys(services).flatMap((n) => hostPorts(n).map((p) => `${p} (${n})`));
    const numbers = all.map((s) => Number.parseInt(s, 10));
    expect(new Set(numbers).size, all.join(', ')).toBe(numbers.length);
    expect(numbers).not.toContain(6379);
    expect(hostPorts('gateway-liwan')).toEqual(expect.arrayContaining([8081]));
    expect(hostPorts('gateway-nanhai')).toEqual(expect.arrayContaining([8082]));
  });

  it('when services depend on others, then each dependency exists, has what its condition needs, and there is no cycle', () => {
    for (const name of Object.keys(services)) {
      for (const [dep, condition] of Object.entries(dependsOn(name))) {
        expect(services[dep], `${name} depends on unknown service ${dep}`).toBeDefined();
        expect(dep, `${name} depends on itself`).not.toBe(name);
        if (condition === 'service_healthy') expect(service(dep).healthcheck?.test, `${dep} needs a healthcheck`).toBeDefined();
        if (condition === 'service_completed_successfully') expect(service(dep).restart ?? 'no', dep).toBe('no');
      }
    }
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (n: string, path: string[]): void => {
      if (done.has(n)) return;
      if (visiting.has(n)) throw new Error(`depends_on cycle: ${[...path, n].join(' → ')}`);
      visiting.add(n);
      for (const dep of Object.keys(dependsOn(n))) visit(dep, [...path, n]);
      visiting.delete(n);
      done.add(n);
    };
    for (const n of Object.keys(services)) visit(n, []);
  });

  it('when a long-running service is up, then a healthcheck says so', () => {
    for (const [name, s] of Object.entries(services)) {
      if (name === 'certs') continue;
      expect(s.healthcheck?.test, name).toBeDefined();
    }
  });
});

describe('Dockerfile', () => {
  const dockerfilePath = join(REPO_ROOT, 'Dockerfile');
  const dockerfile = existsSync(dockerfilePath) ? readFileSync(dockerfilePath, 'utf8') : '';
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const copySources = instructions
    .filter((l) => /^COPY\s/i.test(l) && !/--from=/i.test(l))
    .flatMap((l) => {
      const args = l.replace(/^COPY\s+/i, '').split(/\s+/).filter((a) => !a.startsWith('--'));
      return args.slice(0, -1);
    });
  const cmdLine = instructions.filter((l) => /^CMD\s/i.test(l)).at(-1);
  const entries = [
    ...new Set(
      [
        cmdLine ? entryFile(JSON.parse(cmdLine.replace(/^CMD\s+/i, '')) as string[]) : undefined,
        ...APP_SERVICES.map((n) => entryFile(command(n))),
      ].filter((e): e is string => e !== undefined),
    ),
  ];

  it('when building, then the Dockerfile exists and its CMD is the gateway in exec form', () => {
    expect(existsSync(dockerfilePath)).toBe(true);
    expect(cmdLine).toBeDefined();
    expect(JSON.parse(cmdLine!.replace(/^CMD\s+/i, ''))).toEqual(['node', '--import', 'tsx', 'gateway/main.ts']);
  });

  it.each(['package.json', 'package-lock.json', 'tsconfig.json', 'protos', 'gateway', 'adapters', 'certs'])(
    'when building, then %s is copied into the image',
    (path) => {
      expect(copySources.map((s) => s.replace(/^\.\//, '').replace(/\/$/, ''))).toContain(path);
    },
  );

  it('when building, then every COPY source exists in the repository and is not empty', () => {
    for (const source of copySources) {
      const full = join(REPO_ROOT, source);
      expect(existsSync(full), `COPY ${source}: missing`).toBe(true);
      if (statSync(full).isDirectory()) {
        // git does not keep empty folders: an empty one breaks the build on a fresh clone.
        expect(readdirRecursiveHasFile(full), `COPY ${source}: empty folder`).toBe(true);
      }
    }
  });

  it.each(entries)('when a container runs %s, then that file and everything it imports are copied into the image', (entry) => {
    expect(existsSync(join(REPO_ROOT, entry)), `${entry} is missing`).toBe(true);
    const copied = (file: string): boolean =>
      copySources.some((s) => {
        const src = s.replace(/^\.\//, '').replace(/\/$/, '');
        return src === '.' || file === src || file.startsWith(`${src}/`);
      });
    for (const file of localImportClosure(entry)) {
      expect(copied(file), `${file} (imported from ${entry}) is not under any COPY source`).toBe(true);
    }
  });

  it('when building, then .dockerignore keeps host node_modules and private dev keys out of the image', () => {
    const path = join(REPO_ROOT, '.dockerignore');
    expect(existsSync(path), '.dockerignore is missing').toBe(true);
    const patterns = readFileSync(path, 'utf8')
      .split('\n')
      .map((l) => l.trim().replace(/^\//, '').replace(/\/$/, ''));
    for (const p of ['node_modules', 'certs/dev', '.git']) expect(patterns, p).toContain(p);
  });
});

/**
 * The repository files an entry point loads through relative imports, transitively (`./x.js` is
 * resolved to `./x.ts` as tsx does). Package imports come from node_modules (npm ci in the image).
 */
function localImportClosure(entry: string): string[] {
  const seen = new Set<string>();
  const pending = [entry];
  const specifier = /(?:^|[\s;})])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|^\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/gm;
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const full = join(REPO_ROOT, file);
    if (!/\.[cm]?ts$/.test(file) || !existsSync(full)) continue;
    for (const m of readFileSync(full, 'utf8').matchAll(specifier)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      let target = posix.normalize(posix.join(posix.dirname(file), spec));
      if (!existsSync(join(REPO_ROOT, target))) target = target.replace(/\.([cm]?)js$/, '.$1ts');
      pending.push(target);
    }
  }
  return [...seen];
}

function readdirRecursiveHasFile(dir: string): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile()) return true;
    if (entry.isDirectory() && readdirRecursiveHasFile(join(dir, entry.name))) return true;
  }
  return false;
}
