/**
 * Loads every Lua script in ./scripts once per connection, BullMQ-style: file `<name>-<keys>.lua`,
 * shared fragments pulled in with `--- @include "<name>"`, registered as `<name>:<version>` so two
 * deployed versions of a script never meet under one name. Callers use the typed wrappers below.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis, Cluster } from 'ioredis';

/** Bump when any script changes incompatibly. */
export const SCRIPTS_VERSION = '6';

const here = dirname(fileURLToPath(import.meta.url));
const scriptsDir = join(here, 'scripts');

type Arg = string | number | Buffer;

export interface ScriptDef {
  name: string;
  numberOfKeys: number;
  lua: string;
}

function expandIncludes(lua: string, seen = new Set<string>()): string {
  return lua.replace(/^--- @include "([\w-]+)"\s*$/gm, (_, name: string) => {
    if (seen.has(name)) return '';
    seen.add(name);
    return expandIncludes(readFileSync(join(scriptsDir, 'includes', `${name}.lua`), 'utf8'), seen);
  });
}

export function loadScriptDefs(): ScriptDef[] {
  return readdirSync(scriptsDir)
    .filter((f) => f.endsWith('.lua'))
    .map((file) => {
      const m = /^(\w+)-(\d+)\.lua$/.exec(file);
      if (!m) throw new Error(`script file ${file} must be named <name>-<numberOfKeys>.lua`);
      return { name: m[1]!, numberOfKeys: Number(m[2]), lua: expandIncludes(readFileSync(join(scriptsDir, file), 'utf8')) };
    });
}

const defs = loadScriptDefs();

export function defineScripts(redis: Redis | Cluster): void {
  for (const d of defs) {
    redis.defineCommand(`${d.name}:${SCRIPTS_VERSION}`, { numberOfKeys: d.numberOfKeys, lua: d.lua });
  }
}

type Reply = unknown;

/**
 * What Redis hashes to find a key's slot: the text between the first `{` and the first `}` after
 * it, when not empty; else the whole key.
 */
export function hashedPart(key: string): string {
  const tag = /\{([^}]*)\}/.exec(key)?.[1];
  return tag ? tag : key;
}

/**
 * Calls a defined script; `Buffer` variant returns binary-safe replies. Its keys must hash alike —
 * one slot, as a Redis Cluster demands — and that is checked here, so a single Redis (tests,
 * small deployments) refuses a script call that a cluster would refuse with CROSSSLOT.
 */
export function callScript(redis: Redis | Cluster, name: string, keys: string[], args: Arg[], binary = false): Promise<Reply> {
  const slotOf = hashedPart(keys[0] ?? '');
  const stray = keys.find((k) => hashedPart(k) !== slotOf);
  if (stray !== undefined) throw new Error(`script ${name}: key ${stray} is not in the hash slot of ${keys[0]}`);
  const fn = (redis as unknown as Record<string, (...a: Arg[]) => Promise<Reply>>)[`${name}:${SCRIPTS_VERSION}${binary ? 'Buffer' : ''}`];
  if (!fn) throw new Error(`script ${name} is not defined on this connection`);
  return fn.call(redis, ...keys, ...args);
}
