import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/**
 * compose.yaml is the README's "try the whole thing" path. CI cannot run it (its images come from a registry these
 * machines do not reach; scripts/container-check.sh runs the image itself), so check here that it says what the
 * platform reads: valid YAML, the three services, environment names the configuration knows, and services that
 * point at each other by the names and credentials they were given.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Service {
  build?: { context: string; args?: Record<string, string> };
  image?: string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
const compose = parse(read('compose.yaml')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const { platform, postgres, mail } = compose.services;

/** Every environment variable the configuration reads (src/config). */
function configNames(): Set<string> {
  const directory = join(root, 'src/config');
  const names = new Set<string>();
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))) {
    const text = readFileSync(join(directory, file), 'utf8');
    for (const match of text.matchAll(/env(?:\.|\[')([A-Z][A-Z0-9_]*)|'([A-Z][A-Z0-9_]+)'/g)) names.add(match[1] ?? match[2]!);
  }
  return names;
}

test('compose.yaml has the platform, PostgreSQL and an SMTP catcher', () => {
  expect(Object.keys(compose.services).sort()).toEqual(['mail', 'platform', 'postgres']);
  expect(platform?.build?.context).toBe('.');
  expect(read('Dockerfile')).toMatch(/^ARG BASE=/m);
  expect(Object.keys(platform?.build?.args ?? {})).toEqual(['BASE']);
  // Fully qualified: podman refuses ambiguous short names when it cannot ask.
  for (const image of [platform?.build?.args?.BASE, postgres?.image, mail?.image]) expect(image).toMatch(/^[a-z0-9.-]+\.[a-z]+\/[^:]+:[\w.-]+$/);
  expect(platform?.depends_on?.postgres?.condition).toBe('service_healthy');
});

test('the platform is given only environment variables the configuration reads', () => {
  const known = configNames();
  expect(known.has('DATABASE_URL')).toBe(true);
  const unknown = Object.keys(platform?.environment ?? {}).filter((name) => !known.has(name));
  expect(unknown).toEqual([]);
  expect(Object.keys(platform?.environment ?? {})).toEqual(expect.arrayContaining(['DATABASE_URL', 'SMTP_URL']));
});

test('the platform reaches PostgreSQL and the SMTP catcher by their service names and credentials', () => {
  const database = new URL(platform!.environment!.DATABASE_URL!);
  expect(database.protocol).toBe('postgres:');
  expect(database.hostname).toBe('postgres');
  expect(database.username).toBe(postgres?.environment?.POSTGRES_USER);
  expect(database.password).toBe(postgres?.environment?.POSTGRES_PASSWORD);
  expect(database.pathname).toBe(`/${postgres?.environment?.POSTGRES_DB}`);
  const smtp = new URL(platform!.environment!.SMTP_URL!);
  expect(smtp.protocol).toBe('smtp:');
  expect(smtp.hostname).toBe('mail');
  expect(smtp.port).toBe('1025');
});

test("the platform keeps its DATA_DIR on a named volume and publishes the image's ports (services, admin listener)", () => {
  const dockerfile = read('Dockerfile');
  const dataDir = /DATA_DIR=(\S+)/.exec(dockerfile)?.[1];
  expect(dataDir).toMatch(/^\/[\w./-]+$/); // an absolute path, not a variable or a relative one
  expect(dockerfile).toContain(`VOLUME ["${dataDir}"]`);
  const mount = platform?.volumes?.find((volume) => volume.endsWith(`:${dataDir}`));
  expect(mount).toMatch(/^[\w.-]+:\//); // a named volume, not a bind mount of a host path
  expect(Object.keys(compose.volumes)).toContain(mount!.split(':')[0]);
  const ports = /^EXPOSE ([\d ]+)$/m.exec(dockerfile)?.[1]?.split(' ') ?? [];
  expect(ports).toEqual(['8080', '8443']);
  for (const port of ports) expect(platform?.ports?.some((mapping) => mapping.endsWith(`:${port}`))).toBe(true);
});

test('the README documents compose.yaml as the way to try the whole thing', () => {
  const readme = read('README.md');
  expect(readme).toMatch(/compose\.yaml/);
  expect(readme).toMatch(/compose up --build/);
});
