// ESLint rules that keep the layout honest (docs/architecture.md "Layout and boundaries"):
//
//   thread-boundaries  a file may import only from the folders its thread may load. The folder
//                      says the thread: src/main/ and src/cli/ run on the main thread, src/writer/,
//                      src/ingest/ and src/decode/ on worker threads, src/domain/, src/protocol/
//                      and src/shared/ on any thread. Threads meet only through a worker folder's
//                      contract.ts; type-only imports are erased at build time, so a worker may
//                      name a main-thread type (e.g. Config) without loading main-thread code.
//                      src/exchange/ (the exchange's REST client, limits, weight budget) runs on
//                      any thread too: it may do I/O, but knows nothing of threads.
//   single-importer    a native or driver package is imported by exactly one module (SQLite
//                      binding, uWebSockets.js, ...), so swapping it touches one file.
//
// Plain JavaScript so that ESLint loads it without a build step.
import path from 'node:path';

const ROOT = path.resolve(new URL('../..', import.meta.url).pathname);

/** The zone of a repository file: which thread (or tool) runs it. */
export function zoneOf(file) {
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  const m = /^src\/([^/]+)\//.exec(rel);
  if (m) return m[1] === 'cli' ? 'main' : m[1];
  for (const top of ['workers', 'tools', 'test', 'bench', 'scripts', 'web']) if (rel.startsWith(`${top}/`)) return top;
  return 'other';
}

const WORKER_ZONES = new Set(['writer', 'ingest', 'decode']);
const ANY_THREAD = new Set(['domain', 'protocol', 'shared', 'exchange']);
/** Zones whose files never ship in the runtime build. */
const OUTSIDE_RUNTIME = new Set(['tools', 'test', 'bench', 'scripts', 'web', 'other']);

/** Why `from` may not import `target` (a resolved path), or null when it may. */
export function boundaryViolation(from, target, typeOnly) {
  const fromZone = zoneOf(from);
  const toZone = zoneOf(target);
  const targetRel = path.relative(ROOT, target).split(path.sep).join('/');
  const isContract = /^src\/(writer|ingest|decode)\/contract\.[jt]s$/.test(targetRel);
  const runtime = !OUTSIDE_RUNTIME.has(fromZone);
  if (runtime && OUTSIDE_RUNTIME.has(toZone)) return `runtime code (${fromZone}) must not import ${toZone}/ (tools and tests are not in the build)`;
  if (fromZone === 'domain' && toZone !== 'domain' && targetRel !== 'src/shared/errors.ts')
    return 'domain/ is pure: it imports only domain/ and shared/errors.ts';
  if ((fromZone === 'protocol' || fromZone === 'shared' || fromZone === 'exchange') && !ANY_THREAD.has(toZone))
    return `${fromZone}/ runs on any thread: it imports only domain/, protocol/, shared/ and exchange/`;
  if (fromZone === 'main' && WORKER_ZONES.has(toZone) && !isContract)
    return `the main thread reaches ${toZone}/ only through src/${toZone}/contract.ts (worker internals belong to their thread)`;
  if (WORKER_ZONES.has(fromZone) && toZone === 'main' && !typeOnly) return `a ${fromZone} thread must not load main-thread code (a type-only import is fine)`;
  if (WORKER_ZONES.has(fromZone) && WORKER_ZONES.has(toZone) && fromZone !== toZone && !isContract && !typeOnly)
    return `${fromZone}/ reaches ${toZone}/ only through src/${toZone}/contract.ts`;
  if (fromZone === 'workers' && toZone === 'main' && !typeOnly) return 'worker entry points must not load main-thread code';
  return null;
}

function isTypeOnly(node) {
  if (node.importKind === 'type' || node.exportKind === 'type') return true;
  const specifiers = node.specifiers ?? [];
  return specifiers.length > 0 && specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type');
}

/** The module named by a `require('x')` or `createRequire(url)('x')` call, else null. */
function requiredModule(node) {
  const [arg] = node.arguments;
  if (!arg || arg.type !== 'Literal' || typeof arg.value !== 'string') return null;
  const callee = node.callee;
  if (callee.type === 'Identifier' && callee.name === 'require') return arg.value;
  if (callee.type === 'CallExpression' && callee.callee.type === 'Identifier' && callee.callee.name === 'createRequire') return arg.value;
  return null;
}

function resolveRelative(file, spec) {
  const abs = path.resolve(path.dirname(file), spec);
  return abs.endsWith('.js') ? abs.slice(0, -3) + '.ts' : abs;
}

const threadBoundaries = {
  meta: { type: 'problem', docs: { description: 'imports follow the thread layout' }, schema: [] },
  create(context) {
    const file = context.filename;
    const check = (node, spec, typeOnly) => {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const why = boundaryViolation(file, resolveRelative(file, spec), typeOnly);
      if (why) context.report({ node, message: `${spec}: ${why}` });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value, isTypeOnly(node)),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value, isTypeOnly(node)),
      ExportAllDeclaration: (node) => check(node, node.source.value, node.exportKind === 'type'),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value, false),
    };
  },
};

const singleImporter = {
  meta: {
    type: 'problem',
    docs: { description: 'a package is imported by exactly one module' },
    schema: [{ type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } }],
  },
  create(context) {
    const owners = context.options[0] ?? {};
    const rel = path.relative(ROOT, context.filename).split(path.sep).join('/');
    const check = (node, spec) => {
      if (typeof spec !== 'string') return;
      for (const [pkg, allowed] of Object.entries(owners)) {
        if (spec !== pkg && !spec.startsWith(`${pkg}/`)) continue;
        const owned = allowed.some((a) => (a.endsWith('/') ? rel.startsWith(a) : rel === a));
        if (!owned) context.report({ node, message: `${pkg} is imported only by ${allowed.join(', ')} (one module owns it)` });
      }
    };
    return {
      ImportDeclaration: (node) => !isTypeOnly(node) && check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
      CallExpression: (node) => check(node, requiredModule(node)),
    };
  },
};

export default { rules: { 'thread-boundaries': threadBoundaries, 'single-importer': singleImporter } };
