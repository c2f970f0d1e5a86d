/**
 * Child process for the ownership tests: loads, says `ready`, and on `go` (a line on stdin) tries
 * to own the database. Prints `owner <pid>` and holds it until stdin ends, or `refused <message>`
 * and exits 3. Usage: node --import tsx test/support/db-owner-child.ts <dbPath> [--lock-dir]
 * (--lock-dir: once owner, create the binding's lock directory, as an open database would).
 */
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { acquireDbOwnership, lockDirOf } from '../../src/main/store/db-owner.js';

const [dbPath, flag] = [process.argv[2]!, process.argv[3]];
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
lines.once('line', async () => {
  try {
    const owner = await acquireDbOwnership(dbPath);
    if (flag === '--lock-dir') mkdirSync(lockDirOf(dbPath));
    process.stdout.write(`owner ${process.pid}\n`);
    lines.once('close', () => void owner.release().then(() => process.exit(0)));
  } catch (err) {
    process.stdout.write(`refused ${(err as Error).message}\n`);
    process.exit(3);
  }
});
