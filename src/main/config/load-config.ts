import { SETTINGS, type Config, type SettingName } from './settings.js';

/** Raised at start-up; lists every bad variable at once so one restart fixes them all. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadedConfig {
  config: Config;
  /** `TRADE_CANVAS_*` variables that no setting reads (likely typos; trade_canvas had many more). */
  unknownVariables: string[];
}

/**
 * Builds the configuration from environment-style variables. An unset or empty variable takes its
 * default; anything else must parse, or start-up stops naming the variable (contract §4: never
 * silently replaced). `overrides` (typed values) win over the environment: tests and the CLI use it.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): LoadedConfig {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  const known = new Set<string>();
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const spec = SETTINGS[name];
    known.add(spec.env);
    if (name in overrides) {
      values[name] = overrides[name];
      continue;
    }
    const raw = env[spec.env];
    if (raw === undefined || raw.trim() === '') {
      values[name] = spec.kind.defaultValue;
      continue;
    }
    const parsed = (spec.kind.parse as (raw: string) => unknown)(raw);
    if (parsed === undefined) problems.push(`${spec.env}: expected ${spec.kind.allowed}, got '${raw}'`);
    else values[name] = parsed;
  }
  if (problems.length === 0) problems.push(...crossChecks(values as Config));
  if (problems.length > 0) throw new ConfigError(problems);
  const unknownVariables = Object.keys(env).filter((k) => k.startsWith('TRADE_CANVAS_') && !known.has(k));
  return { config: Object.freeze(values) as Config, unknownVariables };
}

/** Configuration for tests and tools: defaults plus typed overrides, no environment. */
export function configWith(overrides: Partial<Config> = {}): Config {
  return loadConfig({}, overrides).config;
}

/** Settings that are valid alone but not together. */
function crossChecks(config: Config): string[] {
  const problems: string[] = [];
  if (config.store === 'postgres' && config.pgUrl === '') {
    problems.push(`${SETTINGS.pgUrl.env}: required when ${SETTINGS.store.env}=postgres (e.g. postgres://user@127.0.0.1:5432/market)`);
  }
  return problems;
}
