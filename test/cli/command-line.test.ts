import { describe, expect, it } from 'vitest';
import { parseCommandLine, SERVE_USAGE, USAGE } from '../../src/cli/command-line.js';
import { IMPORT_USAGE } from '../../src/cli/import-command.js';
import { ConfigError } from '../../src/main/config/load-config.js';

describe('kline-gateway command line', () => {
  it('serves by default, also when the line starts with a flag', () => {
    expect(parseCommandLine([])).toEqual({ kind: 'serve', overrides: {} });
    expect(parseCommandLine(['serve'])).toEqual({ kind: 'serve', overrides: {} });
    expect(parseCommandLine(['--port', '9000'])).toEqual({ kind: 'serve', overrides: { port: 9000 } });
  });

  it("turns serve's flags into typed settings, --flag=value included", () => {
    expect(parseCommandLine(['serve', '--host', '0.0.0.0', '--port=0', '--db', '/tmp/x.db'])).toEqual({
      kind: 'serve',
      overrides: { host: '0.0.0.0', port: 0, dbPath: '/tmp/x.db' },
    });
  });

  it("checks flag values with the settings' own rules and names every bad flag", () => {
    let error: unknown;
    try {
      parseCommandLine(['serve', '--port', 'eighty', '--host', ' ']);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      "--host: expected a host name or IP address, got ' '",
      "--port: expected an integer in 0..65535, got 'eighty'",
    ]);
    expect(() => parseCommandLine(['--port', '70000'])).toThrow("--port: expected an integer in 0..65535, got '70000'");
  });

  it('answers help for the program and per command', () => {
    for (const argv of [['help'], ['--help'], ['-h']]) expect(parseCommandLine(argv)).toEqual({ kind: 'help', text: USAGE });
    for (const argv of [
      ['serve', '--help'],
      ['serve', '-h'],
      ['help', 'serve'],
      ['--port', '1', '--help'],
    ])
      expect(parseCommandLine(argv)).toEqual({ kind: 'help', text: SERVE_USAGE });
    expect(parseCommandLine(['help', 'import'])).toEqual({ kind: 'help', text: IMPORT_USAGE });
  });

  it('leaves import its own flags', () => {
    expect(parseCommandLine(['import', '--datadir', 'd', '--series', 'a', '--series', 'b'])).toEqual({
      kind: 'import',
      args: ['--datadir', 'd', '--series', 'a', '--series', 'b'],
    });
  });

  it('reports bad arguments as usage errors (exit 2) with the words to fix them', () => {
    const cases: Array<[string[], string]> = [
      [['bogus'], 'kline-gateway: unknown command: bogus'],
      [['help', 'bogus'], 'kline-gateway: unknown command: bogus'],
      [['--bogus'], "kline-gateway serve: Unknown option '--bogus'"],
      [['serve', '--port'], "kline-gateway serve: Option '--port <value>' argument missing"],
      [['serve', 'extra'], "kline-gateway serve: Unexpected argument 'extra'"],
    ];
    for (const [argv, first] of cases) {
      const result = parseCommandLine(argv);
      expect(result.kind, argv.join(' ')).toBe('usage_error');
      const message = (result as { message: string }).message;
      expect(message.startsWith(first), message).toBe(true);
      expect(message.endsWith(argv[0] === 'bogus' || argv[0] === 'help' ? USAGE : SERVE_USAGE)).toBe(true);
    }
  });
});
