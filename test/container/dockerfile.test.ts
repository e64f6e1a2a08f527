import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectPaths, projectRoot } from '../../src/project-paths.js';

/**
 * The image is built and run by scripts/container-check.sh (.ci/run); these are the checks that need no podman: what
 * the runtime stage must hold, and what keeps the build off the internet (issue #16).
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const runtimeStage = dockerfile.slice(dockerfile.indexOf(' AS runtime'));

test('the runtime stage copies every directory the service reads at run time', () => {
  const copied = [...runtimeStage.matchAll(/^COPY (\S+) \.\/(\S+)$/gm)].filter(([, from, to]) => from === to).map(([, from]) => from!);
  for (const [name, path] of Object.entries(projectPaths)) {
    const directory = relative(projectRoot(), path());
    const inImage = copied.some((source) => directory === source || directory.startsWith(`${source}/`));
    expect({ name, directory, inImage }).toEqual({ name, directory, inImage: true });
  }
  expect(runtimeStage).toContain('COPY --from=build /app/dist ./dist');
  expect(runtimeStage).toContain('COPY package.json ./');
});

test('the service runs as a user of its own, stops on SIGTERM and keeps the HEALTHCHECK', () => {
  expect(runtimeStage).toMatch(/^USER (?!root\b|0\b)\w+/m);
  expect(runtimeStage).toMatch(/^STOPSIGNAL SIGTERM$/m);
  expect(runtimeStage).toMatch(/^HEALTHCHECK [^\n]*\\\n\s*CMD [^\n]*\/health/m);
});

test('native modules build against the headers in the image, never downloading binaries or headers', () => {
  expect(dockerfile).toMatch(/npm_config_build_from_source=true/);
  expect(dockerfile).toMatch(/npm_config_nodedir="\$nodedir" npm ci/);
});
