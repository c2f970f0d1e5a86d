// piscina task entry: decodes one freqtrade candle file off the main thread, or streams one into
// the store (an import task carries a writer port). The work lives in src/history/ (tests call it
// in-thread); this file only moves a decode result's buffer back.
import { move } from 'piscina';
import { decodeTask, transferableResult, type DecodeTask } from '../src/history/decode-task.js';
import { isImportTask, runImportTask, type ImportTask } from '../src/history/import-task.js';

export default async function historyTask(task: DecodeTask | ImportTask) {
  if (isImportTask(task)) return runImportTask(task);
  return move(transferableResult(await decodeTask(task)));
}
