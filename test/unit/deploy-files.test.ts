import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { execForm, parseCopy, parseDockerfile, parseEnv, type DockerStage } from '../support/dockerfile.ts';
// @ts-expect-error -- plain ESM module shared with the benches, no type declarations
import { NODE_FLAGS as FLAGS } from '../../scripts/node-flags.mjs';

const NODE_FLAGS = FLAGS as string[];

const ROOT = resolve(import.meta.dirname, '../..');
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');

// Every environment variable policywatch reads (AWS_* belong to the AWS SDK).
const DOCUMENTED_ENV = new Set([
  'DATABASE_URL',
  'HOST',
  'PORT',
  'LOG_LEVEL',
  'POLICYWATCH_DATA_DIR',
  'POLICYWATCH_POLL_CRON',
  'POLICYWATCH_SEED_DATASET',
  'POLICYWATCH_IAM_CONCURRENCY',
  'POLICYWATCH_RSS_FEEDS',
  'POLICYWATCH_RSS_CRON',
  'POLICYWATCH_DOC_WINDOW_DAYS',
  'POLICYWATCH_FEED_ALLOW_INTERNAL',
  'POLICYWATCH_READY_MAX_POLL_AGE',
  'POLICYWATCH_ADMIN_API_KEY',
  'POLICYWATCH_PUBLIC_URL',
]);
const isDocumentedEnv = (name: string) => DOCUMENTED_ENV.has(name) || /^AWS_[A-Z0-9_]+$/.test(name);

const stages = parseDockerfile(read('Dockerfile'));
const final = stages.at(-1) as DockerStage;
const of = (stage: DockerStage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const finalEnv = Object.assign({}, ...of(final, 'ENV').map(parseEnv)) as Record<string, string>;
const dockerignore = read('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

describe('Dockerfile parser (test support)', () => {
  test('joins continuations, skips comments, reads stages, COPY flags and ENV pairs', () => {
    const s = parseDockerfile('# syntax=docker/dockerfile:1\nARG V=20\nFROM node:${V} AS a\nRUN echo 1 \\\n  # inner comment\n  && echo 2\nFROM scratch\nCOPY --from=a --chown=1:1 /x "/y z" /dest/\nENV A=1 B="two words"\n');
    assert.deepEqual(s.map((x) => [x.image, x.name]), [['node:${V}', 'a'], ['scratch', undefined]]);
    assert.equal(s[0]?.instructions[0]?.args, 'echo 1 && echo 2');
    const copy = parseCopy(s[1]?.instructions[0] as never);
    assert.deepEqual(copy, { from: 'a', flags: { from: 'a', chown: '1:1' }, sources: ['/x', '/y z'], dest: '/dest/' });
    assert.deepEqual(parseEnv(s[1]?.instructions[1] as never), { A: '1', B: 'two words' });
    assert.throws(() => parseDockerfile('RUN x\n'), /before FROM/);
  });
});

describe('Dockerfile', () => {
  test('is multi-stage on Node 24 LTS (bookworm-slim), pinned to an exact release or digest', () => {
    assert.ok(stages.length >= 2, 'at least two FROM stages');
    const pinned = /^node:24\.\d+\.\d+-bookworm-slim(?:@sha256:[0-9a-f]{64})?$|^node:24[\w.-]*@sha256:[0-9a-f]{64}$/;
    for (const stage of stages) assert.match(stage.image, pinned, `stage ${stage.name ?? stage.index}`);
    assert.equal(new Set(stages.map((st) => st.image)).size, 1, 'build and runtime on the same Node');
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
    assert.equal(pkg.engines.node, '>=22', 'engines: the AWS SDK and our dependencies need Node 22 or later');
    assert.ok(stages.slice(0, -1).some((s) => s.name), 'earlier stages are named for COPY --from');
  });

  test('the final stage installs git (IAMTrail history imports read a clone with it)', () => {
    assert.ok(of(final, 'RUN').some((i) => /apt-get install\b.*\bgit\b/.test(i.args)), 'apt-get install … git in the final stage');
  });

  test('the final stage runs as a non-root user', () => {
    const user = of(final, 'USER').at(-1)?.args.trim();
    assert.ok(user, 'USER set in the final stage');
    assert.ok(!/^(root|0)(:|$)/.test(user), `USER ${user} is root`);
    const userLine = of(final, 'USER').at(-1)?.line ?? 0;
    assert.ok(final.instructions.filter((i) => i.line > userLine).every((i) => i.keyword !== 'USER'), 'nothing switches back');
  });

  test('environment, port and data volume', () => {
    assert.deepEqual(
      { NODE_ENV: finalEnv.NODE_ENV, PORT: finalEnv.PORT, HOST: finalEnv.HOST, POLICYWATCH_DATA_DIR: finalEnv.POLICYWATCH_DATA_DIR },
      { NODE_ENV: 'production', PORT: '3000', HOST: '0.0.0.0', POLICYWATCH_DATA_DIR: '/data' },
    );
    for (const name of Object.keys(finalEnv)) assert.ok(isDocumentedEnv(name) || name === 'NODE_ENV', `undocumented ENV ${name}`);
    const exposed = of(final, 'EXPOSE').flatMap((i) => i.args.split(/\s+/)).map((p) => p.replace(/\/tcp$/, ''));
    assert.deepEqual(exposed, [finalEnv.PORT]);
    const volumes = of(final, 'VOLUME').flatMap((i) => execForm(i.args) ?? i.args.split(/\s+/));
    assert.ok(volumes.includes('/data'), 'declares /data as a volume');
    const run = of(final, 'RUN').map((i) => i.args).join('\n');
    assert.match(run, /chown[^\n]*node[^\n]*\/data/, '/data is owned by the node user');
  });

  test('HEALTHCHECK probes /healthz without curl', () => {
    const hc = of(final, 'HEALTHCHECK');
    assert.equal(hc.length, 1);
    const args = hc[0]?.args ?? '';
    assert.doesNotMatch(args, /^NONE\b/i);
    const cmd = execForm(args.replace(/^(?:--\S+\s+)*CMD\s+/i, '')) ?? [];
    assert.equal(cmd[0], 'node');
    assert.ok(cmd.join(' ').includes('/healthz'));
    assert.ok(cmd.join(' ').includes('fetch('));
  });

  test('CMD starts the API server', () => {
    const cmd = of(final, 'CMD').at(-1);
    assert.deepEqual(execForm(cmd?.args ?? ''), ['node', ...NODE_FLAGS, 'bin/policywatch.mjs', 'serve']);
    assert.ok(existsSync(join(ROOT, 'bin/policywatch.mjs')));
  });

  test('the build stage installs, generates the Prisma client and prunes dev dependencies', () => {
    const build = stages.find((s) => s.name === 'build');
    assert.ok(build, 'a stage named build');
    const steps = build.instructions.map((i) => `${i.keyword} ${i.args}`);
    const idx = (re: RegExp) => steps.findIndex((s) => re.test(s));
    const ci = idx(/^RUN npm ci\b/);
    const generate = idx(/^RUN npm run generate\b/);
    const compile = idx(/^RUN npm run build\b/);
    const prune = idx(/^RUN npm prune --omit=dev\b/);
    assert.ok(ci >= 0 && generate > ci && compile > generate && prune > compile, 'npm ci, then generate, then build, then prune');
    // postinstall (npm ci) already runs scripts/prisma-generate.mjs, which reads the schema.
    const copiedBefore = build.instructions
      .slice(0, ci)
      .filter((i) => i.keyword === 'COPY')
      .map(parseCopy)
      .filter((c) => c.from === undefined)
      .flatMap((c) => c.sources.map((src) => src.replace(/\/$/, '')));
    for (const needed of ['package.json', 'package-lock.json', 'prisma', 'scripts']) {
      assert.ok(copiedBefore.includes(needed), `${needed} copied before npm ci`);
    }
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; scripts: Record<string, string> };
    // Pruning keeps only dependencies: tsx runs the sources when dist/ does not match them.
    assert.ok(pkg.dependencies.tsx, 'tsx is a runtime dependency');
    assert.ok(pkg.scripts.generate, 'package.json has a generate script');
    assert.ok(pkg.scripts.build, 'package.json has a build script');
    // The runtime stage gets the compiled build with the stamp inputs bin/policywatch.mjs checks.
    const runtime = stages.at(-1);
    const copied = of(runtime!, 'COPY').map(parseCopy).flatMap((c) => c.sources.map((src) => src.replace(/\/$/, '').replace(/^\/app\//, '')));
    for (const needed of ['dist', 'src', 'scripts', 'bin', 'tsconfig.json', 'tsconfig.build.json', 'package.json']) {
      assert.ok(copied.includes(needed), `${needed} copied into the runtime stage (${copied.join(', ')})`);
    }
  });

  test('every COPY source exists in the repo or comes from an earlier named stage', () => {
    for (const stage of stages) {
      const earlier = new Set(stages.slice(0, stage.index).map((s) => s.name));
      for (const ins of of(stage, 'COPY').concat(of(stage, 'ADD'))) {
        const copy = parseCopy(ins);
        if (copy.from !== undefined) {
          assert.ok(earlier.has(copy.from), `line ${ins.line}: --from=${copy.from} is not an earlier stage`);
          continue;
        }
        for (const src of copy.sources) {
          assert.ok(existsSync(join(ROOT, src)), `line ${ins.line}: ${src} does not exist in the repo`);
          const top = src.replace(/\/$/, '');
          assert.ok(!dockerignore.some((p) => p === top || p === `${top}/` || top.startsWith(`${p}/`)), `line ${ins.line}: ${src} is excluded by .dockerignore`);
        }
      }
    }
  });

  test('the final stage copies the app from the build stage', () => {
    const copied = of(final, 'COPY').map(parseCopy);
    for (const path of ['node_modules', 'src', 'prisma', 'bin', 'package.json']) {
      assert.ok(copied.some((c) => c.from === 'build' && c.sources.some((s) => s.replace(/\/$/, '').endsWith(`/app/${path}`))), `${path} copied from build`);
    }
  });
});

describe('.dockerignore', () => {
  test('excludes local state, dependencies, generated code and secrets', () => {
    for (const p of ['node_modules', 'data', '.git', 'src/db/generated', '.env']) assert.ok(dockerignore.includes(p), `${p} excluded`);
  });
});

describe('docker-compose.yml', () => {
  type Service = {
    image?: string;
    build?: unknown;
    pull_policy?: string;
    command?: string[];
    depends_on?: Record<string, { condition?: string }>;
    environment?: string[] | Record<string, string | null>;
    ports?: string[];
    volumes?: string[];
    healthcheck?: { test?: string[]; disable?: boolean };
    restart?: string;
    deploy?: { replicas?: number };
  };
  // Compose reads YAML merge keys (<<: *anchor); so must the test.
  const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
  const services = compose.services;
  const env = (s: Service | undefined): Map<string, string | undefined> => {
    const e = s?.environment ?? [];
    if (Array.isArray(e)) {
      return new Map(e.map((kv) => (kv.includes('=') ? [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] : [kv, undefined])));
    }
    return new Map(Object.entries(e).map(([k, v]) => [k, v ?? undefined]));
  };
  const APP = ['migrate', 'api', 'worker'] as const;
  const interpolated = (v: string) => /^\$\{[A-Z_][A-Z0-9_]*(?::?[-?][^}]*)?\}$/.test(v);

  test('runs postgres, a one-shot migrate, the API and one worker', () => {
    assert.deepEqual(Object.keys(services).sort(), ['api', 'migrate', 'postgres', 'worker']);
    assert.match(services.postgres?.image ?? '', /^postgres:16(\b|$)/);
    assert.ok(services.postgres?.healthcheck?.test?.join(' ').includes('pg_isready'));
    assert.deepEqual(services.migrate?.command, ['node', ...NODE_FLAGS, 'bin/policywatch.mjs', 'migrate']);
    assert.equal(services.migrate?.restart, 'no', 'migrate runs once');
    assert.deepEqual(services.api?.command, ['node', ...NODE_FLAGS, 'bin/policywatch.mjs', 'serve', '--no-worker']);
    assert.deepEqual(services.worker?.command, ['node', ...NODE_FLAGS, 'bin/policywatch.mjs', 'worker']);
    assert.ok((services.worker?.deploy?.replicas ?? 1) === 1, 'one worker by default (scale on purpose)');
    for (const name of ['api', 'worker']) assert.equal(services[name]?.restart, 'unless-stopped');
  });

  test('one image, built once and used by every policywatch service', () => {
    const built = Object.entries(services).filter(([, s]) => s.build !== undefined).map(([n]) => n);
    assert.deepEqual(built, ['migrate']);
    assert.equal(services.migrate?.build, '.');
    const image = services.migrate?.image;
    assert.match(image ?? '', /^policywatch:/);
    for (const name of ['api', 'worker']) {
      assert.equal(services[name]?.image, image, `${name} runs the migrate service's image`);
      assert.equal(services[name]?.pull_policy, 'never', `${name} never pulls it`);
    }
  });

  test('dependencies: migrate waits for a healthy postgres, the others for a finished migrate', () => {
    assert.equal(services.migrate?.depends_on?.postgres?.condition, 'service_healthy');
    for (const name of ['api', 'worker']) {
      assert.equal(services[name]?.depends_on?.migrate?.condition, 'service_completed_successfully', name);
      assert.equal(services[name]?.depends_on?.postgres?.condition, 'service_healthy', name);
    }
  });

  test('healthchecks: the API by the image HTTP probe, the worker by a CLI probe', () => {
    assert.equal(services.api?.healthcheck, undefined, 'the image HEALTHCHECK (/healthz) applies');
    const probe = services.worker?.healthcheck;
    assert.ok(probe && !probe.disable, 'the worker has a healthcheck');
    assert.deepEqual(probe.test, ['CMD', 'node', ...NODE_FLAGS, 'bin/policywatch.mjs', 'status', '--check']);
    assert.match(read('src/cli.ts'), /case 'status':/, 'the probe command exists');
    assert.equal(services.worker?.ports, undefined, 'workers do not publish ports');
    assert.ok((services.api?.ports ?? []).some((p) => /^(?:[\d.]+:)?3000:3000(?:\/tcp)?$/.test(String(p))));
  });

  test('DATABASE_URL points at the postgres service with the password from the environment', () => {
    const pg = env(services.postgres);
    assert.ok(interpolated(pg.get('POSTGRES_PASSWORD') ?? ''), 'POSTGRES_PASSWORD comes from .env');
    for (const name of APP) {
      const m = /^postgres:\/\/([^:@]+):(\$\{[^}]+\})@postgres:5432\/(\w+)$/.exec(env(services[name]).get('DATABASE_URL') ?? '');
      assert.ok(m, `${name}: DATABASE_URL=postgres://<user>:\${...}@postgres:5432/<db>`);
      assert.equal(m[1], pg.get('POSTGRES_USER'));
      assert.equal(m[3], pg.get('POSTGRES_DB'));
      assert.match(m[2] as string, /^\$\{POSTGRES_PASSWORD\b/);
    }
    assert.equal(read('.gitignore').split('\n').includes('.env'), true, '.env is never committed');
  });

  test('no literal secret anywhere in the file', () => {
    const SECRET = /PASSWORD|SECRET|TOKEN|_KEY\b|ACCESS_KEY/i;
    const walk = (v: unknown, path: string): void => {
      if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}[${i}]`));
      if (v && typeof v === 'object') return Object.entries(v).forEach(([k, x]) => {
        if (SECRET.test(k) && typeof x === 'string') assert.ok(interpolated(x), `${path}.${k} holds a literal value`);
        walk(x, `${path}.${k}`);
      });
      if (typeof v !== 'string') return;
      const kv = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(v);
      if (kv && SECRET.test(kv[1] as string)) assert.ok(interpolated(kv[2] as string), `${path}: ${kv[1]} holds a literal value`);
      // Credentials inside URLs (postgres://user:password@host).
      for (const m of v.matchAll(/\/\/[^:/@\s]+:([^@\s]+)@/g)) assert.ok(interpolated(m[1] as string), `${path}: a URL carries a literal password`);
    };
    walk(compose, 'compose');
  });

  test('AWS credentials pass through: AWS_PROFILE with ~/.aws read-only, or keys', () => {
    for (const name of ['api', 'worker']) {
      const e = env(services[name]);
      for (const key of ['AWS_PROFILE', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
        assert.ok(e.has(key), `${name}: ${key} passed through`);
        const value = e.get(key);
        assert.ok(value === undefined || interpolated(value), `${name}: ${key} must come from the host`);
      }
      const aws = (services[name]?.volumes ?? []).find((v) => v.includes('/.aws'));
      assert.ok(aws, `${name} mounts ~/.aws`);
      assert.match(aws, /^~\/\.aws:\/home\/node\/\.aws:ro$/, `${name}: ~/.aws is mounted read-only into the node user's home`);
    }
  });

  test('services only set documented environment variables', () => {
    for (const name of APP) {
      for (const key of env(services[name]).keys()) assert.ok(isDocumentedEnv(key), `${name}: undocumented env ${key}`);
    }
  });
});

describe('Node flags (scripts/node-flags.mjs): every launcher starts policywatch with them', () => {
  // V8 sizes its heap at launch only, so a launcher that forgets the flags runs a different service
  // (see scripts/node-flags.mjs for what they buy). A launch is `node <NODE_FLAGS> …bin/policywatch.mjs`,
  // or the script run directly, which its shebang covers.
  const SCRIPT = /(?:^|\/)bin\/policywatch\.mjs$/;
  function launches(argv: string[], where: string): number {
    let n = 0;
    argv.forEach((arg, i) => {
      if (!SCRIPT.test(arg)) return;
      n++;
      let j = i - 1;
      while (j >= 0 && (argv[j] as string).startsWith('-')) j--;
      const viaNode = j >= 0 && /(?:^|\/)node$/.test(argv[j] as string);
      if (!viaNode && j === i - 1) return; // run directly: the shebang applies
      assert.ok(viaNode, `${where}: options before bin/policywatch.mjs without node: ${argv.join(' ')}`);
      assert.deepEqual(argv.slice(j + 1, i), NODE_FLAGS, `${where}: node must get exactly scripts/node-flags.mjs's flags: ${argv.join(' ')}`);
    });
    return n;
  }

  test('the flags are a non-empty list of Node options', () => {
    assert.ok(Array.isArray(NODE_FLAGS) && NODE_FLAGS.length > 0);
    for (const f of NODE_FLAGS) assert.match(f, /^--[a-z][a-z0-9-]*(=\S+)?$/);
    assert.ok(NODE_FLAGS.some((f) => f.startsWith('--max-semi-space-size=')), 'the young generation is capped');
  });

  test("bin/policywatch.mjs's shebang (the npm-linked `policywatch` command)", () => {
    const first = read('bin/policywatch.mjs').split('\n')[0];
    // GNU and BSD env split the rest of the line with -S; a plain `env node --flag` would look for
    // a program named "node --flag".
    assert.equal(first, `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
    assert.ok((statSync(join(ROOT, 'bin/policywatch.mjs')).mode & 0o111) !== 0, 'executable');
  });

  test('package.json scripts', () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; bin: Record<string, string> };
    assert.deepEqual(Object.values(pkg.bin), ['./bin/policywatch.mjs']);
    let n = 0;
    for (const [name, line] of Object.entries(pkg.scripts)) n += launches(line.split(/\s+|&&|\|\||;/).filter(Boolean), `npm run ${name}`);
    assert.ok(n >= 1 && /bin\/policywatch\.mjs serve\b/.test(pkg.scripts.start ?? ''), 'npm start launches the service');
  });

  test('the Dockerfile', () => {
    let n = 0;
    for (const stage of stages) {
      for (const i of stage.instructions) {
        const args = i.keyword === 'HEALTHCHECK' ? i.args.replace(/^(?:--\S+\s+)*CMD\s+/i, '') : i.args;
        n += launches(execForm(args) ?? args.split(/\s+|&&|\|\||;/).filter(Boolean), `Dockerfile line ${i.line}`);
      }
    }
    assert.ok(n >= 1, 'the Dockerfile launches policywatch');
  });

  test('docker-compose.yml commands, entrypoints and healthchecks', () => {
    const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Record<string, unknown>> };
    const words = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(/\s+|&&|\|\||;/).filter(Boolean) : []);
    let n = 0;
    for (const [name, s] of Object.entries(compose.services)) {
      for (const key of ['command', 'entrypoint']) n += launches(words(s[key]), `${name}.${key}`);
      n += launches(words((s.healthcheck as { test?: unknown } | undefined)?.test), `${name}.healthcheck`);
    }
    assert.ok(n >= 4, 'migrate, api, worker and the worker healthcheck launch policywatch');
  });
});
