/**
 * The exchange side of the ingest load test, in its own process: a FakeBinance (real WS protocol,
 * combined streams, SUBSCRIBE handling) whose own generation is paused; it replays pre-built
 * frames as fast as the gateway reads them, or injects timestamped frames at a fixed rate.
 * IPC: {cmd:'start'} → {port} · {cmd:'subscribed'} → {streams} · {cmd:'prepare', series, bars,
 * from?} → {frames, closed} · {cmd:'blast'} → {ms, startedAtMs (epoch)} · {cmd:'rate', series, framesPerSecond, seconds, firstBar, firstIndex?} → {sent, lastBar,
 * next: {bar, index}} (pass `next` as firstBar/firstIndex to go on without a hole)
 */
import { FakeBinance, type PreparedBlast } from '../../tools/fake-binance/fake-binance.js';
import { klineFrame, replayClosedCount, replayFrames, streamOf } from './kline-frames.js';

let fake: FakeBinance;
let prepared: PreparedBlast | null = null;

function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

process.on(
  'message',
  async (msg: {
    cmd: string;
    series?: number;
    bars?: number;
    from?: number;
    framesPerSecond?: number;
    seconds?: number;
    firstBar?: number;
    firstIndex?: number;
  }) => {
    switch (msg.cmd) {
      case 'start':
        fake = await FakeBinance.start({ autoCreate: true });
        fake.pause(); // only replayed / injected frames, none of the generator's own
        process.send!({ port: Number(new URL(fake.restUrl()).port) });
        break;
      case 'subscribed':
        process.send!({
          streams: fake
            .connectionStats()
            .filter((c) => c.open)
            .reduce((n, c) => n + c.streams.length, 0),
        });
        break;
      case 'prepare': {
        // Encoded ahead (untimed), so the replay measures the gateway's intake, not our encoding.
        const frames = replayFrames(msg.series!, msg.bars!, msg.from ?? 0);
        prepared = fake.prepareBlast('futures', frames);
        process.send!({ frames: frames.length, closed: replayClosedCount(msg.series!, msg.bars!, msg.from ?? 0) });
        break;
      }
      case 'blast': {
        const t0 = performance.now();
        await fake.sendBlast(prepared!);
        prepared = null;
        process.send!({ ms: performance.now() - t0, startedAtMs: performance.timeOrigin + t0 });
        break;
      }
      case 'rate': {
        // Closed and forming frames alternating, each carrying its send time in `v`.
        const perTick = Math.max(1, Math.round(msg.framesPerSecond! / 100));
        let sent = 0;
        let bar = msg.firstBar!;
        // A burst that ends mid-round leaves series i.. without this bar's close; starting the next
        // one at bar+1 would leave each of them a hole (a gap fill), so `next` says where to go on.
        let i = msg.firstIndex ?? 0;
        const end = Date.now() + msg.seconds! * 1000;
        const timer = setInterval(() => {
          for (let k = 0; k < perTick; k++) {
            const closed = sent % 2 === 1;
            fake.inject('futures', streamOf(i), klineFrame(i, bar, closed, nowMs().toFixed(3)));
            sent++;
            if (closed && ++i >= msg.series!) {
              i = 0;
              bar++;
            }
          }
          if (Date.now() >= end) {
            clearInterval(timer);
            process.send!({ sent, lastBar: bar, next: { bar, index: i } });
          }
        }, 10);
        break;
      }
      case 'close':
        await fake.close();
        process.exit(0);
    }
  },
);
