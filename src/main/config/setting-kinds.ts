/**
 * Typed parsers for environment settings. Each kind knows how to parse a raw string and how to
 * describe what it allows, so a bad value is reported as "NAME: expected <allowed>, got '<raw>'".
 */

export interface SettingKind<T> {
  readonly defaultValue: T;
  /** What the setting allows, in words; shown in errors and in docs/operations.md. */
  readonly allowed: string;
  /** Returns the parsed value, or undefined when `raw` is not allowed. */
  parse(raw: string): T | undefined;
  /** The default as it would be written in the environment. */
  readonly defaultText: string;
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);

export function bool(defaultValue: boolean): SettingKind<boolean> {
  return {
    defaultValue,
    allowed: 'a boolean (1/true/yes/on or 0/false/no/off)',
    defaultText: defaultValue ? '1' : '0',
    parse(raw) {
      const word = raw.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      return undefined;
    },
  };
}

/**
 * A boolean whose default depends on other settings: unset (or `auto`) is null and the reader of
 * the setting decides (e.g. "on when ingest is on"); `auto` names that default in the docs.
 */
export function autoBool(meaning: string): SettingKind<boolean | null> {
  return {
    defaultValue: null,
    allowed: `a boolean (1/true/yes/on or 0/false/no/off), or auto = ${meaning}`,
    defaultText: 'auto',
    parse(raw) {
      const word = raw.trim().toLowerCase();
      if (word === 'auto') return null;
      return bool(false).parse(word);
    },
  };
}

export function int(defaultValue: number, min: number, max: number): SettingKind<number> {
  return {
    defaultValue,
    allowed: `an integer in ${min}..${max}`,
    defaultText: String(defaultValue),
    parse(raw) {
      const text = raw.trim();
      if (!/^-?\d+$/.test(text)) return undefined;
      const n = Number(text);
      return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
    },
  };
}

export function num(defaultValue: number, min: number, max: number): SettingKind<number> {
  return {
    defaultValue,
    allowed: `a number in ${min}..${max}`,
    defaultText: String(defaultValue),
    parse(raw) {
      const text = raw.trim();
      if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
      const n = Number(text);
      return Number.isFinite(n) && n >= min && n <= max ? n : undefined;
    },
  };
}

export function str(defaultValue: string, allowed = 'any text'): SettingKind<string> {
  return { defaultValue, allowed, defaultText: defaultValue, parse: (raw) => raw.trim() };
}

export function oneOf<const T extends string>(defaultValue: T, choices: readonly T[]): SettingKind<T> {
  return {
    defaultValue,
    allowed: `one of ${choices.map((c) => c || "''").join(', ')}`,
    defaultText: defaultValue,
    parse(raw) {
      const word = raw.trim();
      return (choices as readonly string[]).includes(word) ? (word as T) : undefined;
    },
  };
}

export function url(defaultValue: string, protocols: readonly string[]): SettingKind<string> {
  return {
    defaultValue,
    allowed: `a ${protocols.join('/')} URL`,
    defaultText: defaultValue,
    parse(raw) {
      const text = raw.trim().replace(/\/+$/, '');
      try {
        const parsed = new URL(text);
        return protocols.includes(parsed.protocol.replace(':', '')) ? text : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** A TCP host: hostname, IPv4 or bracket-less IPv6 literal. */
export function host(defaultValue: string): SettingKind<string> {
  return {
    defaultValue,
    allowed: 'a host name or IP address',
    defaultText: defaultValue,
    parse(raw) {
      const text = raw.trim();
      return /^[A-Za-z0-9.\-:]+$/.test(text) ? text : undefined;
    },
  };
}
