// piscina task entry: decodes one freqtrade candle file off the main thread, or streams one into
// the store (an import task carries a writer port). The work lives in src/decode/ (tests call it
// in-thread); this file only moves a decode result's buffer back.
import { move } from 'piscina';
import { isImportTask, type DecodeTask, type ImportTask } from '../src/decode/contract.js';
import { decodeTask, transferableResult } from '../src/decode/decode-task.js';
import { runImportTask } from '../src/decode/import-task.js';

export default async function historyTask(task: DecodeTask | ImportTask) {
  if (isImportTask(task)) return runImportTask(task);
  return move(transferableResult(await decodeTask(task)));
}
