import { ConfigError } from '../main/config/load-config.js';
import { SETTINGS, type Config, type SettingName } from '../main/config/settings.js';

/**
 * Command-line flags that set a setting (`--port` → `port`). A flag's value is checked by the
 * setting's own parser, the one its TRADE_CANVAS_* variable goes through, and wins over the
 * environment as a typed override (loadConfig's `overrides`).
 */
export type SettingFlags = Readonly<Record<string, SettingName>>;

/** The flags as node:util parseArgs options (each takes a value). */
export function settingFlagOptions(flags: SettingFlags): Record<string, { type: 'string' }> {
  return Object.fromEntries(Object.keys(flags).map((flag) => [flag, { type: 'string' as const }]));
}

/** Typed overrides for the flags given; every bad value is reported at once, as ConfigError. */
export function settingOverrides(flags: SettingFlags, values: Readonly<Record<string, unknown>>): Partial<Config> {
  const overrides: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [flag, name] of Object.entries(flags)) {
    const raw = values[flag];
    if (typeof raw !== 'string') continue;
    const kind = SETTINGS[name].kind;
    // An empty variable means "the default"; an empty flag is a mistake (`--db ""`).
    const parsed = raw.trim() === '' ? undefined : (kind.parse as (raw: string) => unknown)(raw);
    if (parsed === undefined) problems.push(`--${flag}: expected ${kind.allowed}, got '${raw}'`);
    else overrides[name] = parsed;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return overrides as Partial<Config>;
}
