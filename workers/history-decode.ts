// piscina task entry: decodes one freqtrade candle file off the main thread. The work lives in
// src/history/ (tests call it in-thread); this file only moves the result's buffer back.
import { move } from 'piscina';
import { decodeTask, transferableResult, type DecodeTask } from '../src/history/decode-task.js';

export default async function historyDecode(task: DecodeTask) {
  return move(transferableResult(await decodeTask(task)));
}
