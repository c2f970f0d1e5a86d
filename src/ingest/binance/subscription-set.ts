/**
 * What one connection carries versus what its owner wants, converging through SUBSCRIBE and
 * UNSUBSCRIBE requests (Binance "Live Subscribing/Unsubscribing to streams": `{"method",
 * "params":[streams],"id"}` answered by `{"result":null,"id"}`). Rather than a queue of commands,
 * it keeps three sets — wanted, confirmed, in flight — and derives the next request from their
 * difference, so an add followed by a remove before anything was sent costs no message at all.
 */

/** Streams per request: Binance documents no cap; 200 keeps a request under ~6 KiB. */
export const MAX_PARAMS_PER_REQUEST = 200;

export interface SubscriptionRequest {
  readonly method: 'SUBSCRIBE' | 'UNSUBSCRIBE';
  readonly params: string[];
  readonly id: number;
}

export class SubscriptionSet {
  private readonly wanted: Set<string>;
  private readonly confirmed: Set<string>;
  private readonly inFlight = new Map<number, SubscriptionRequest>();
  /** Streams currently inside an in-flight request (either method). */
  private readonly busy = new Set<string>();
  private nextId = 1;
  errors = 0;

  /** `initial` streams came in the connection URL: confirmed from the start. */
  constructor(initial: readonly string[]) {
    this.wanted = new Set(initial);
    this.confirmed = new Set(initial);
  }

  setWanted(streams: Iterable<string>): void {
    this.wanted.clear();
    for (const s of streams) this.wanted.add(s);
  }

  /** Streams the server confirmed (URL or acknowledged SUBSCRIBE). */
  get active(): ReadonlySet<string> {
    return this.confirmed;
  }

  /** True when nothing is in flight and the confirmed set is exactly the wanted one. */
  settled(): boolean {
    if (this.inFlight.size > 0 || this.confirmed.size !== this.wanted.size) return false;
    for (const s of this.wanted) if (!this.confirmed.has(s)) return false;
    return true;
  }

  /** True when nextRequest() would return a request now. */
  hasWork(): boolean {
    for (const s of this.wanted) if (!this.confirmed.has(s) && !this.busy.has(s)) return true;
    for (const s of this.confirmed) if (!this.wanted.has(s) && !this.busy.has(s)) return true;
    return false;
  }

  /** The next request to send (subscriptions first: a new series is waiting for data), marked in flight. */
  nextRequest(): SubscriptionRequest | undefined {
    const add = this.collect(this.wanted, this.confirmed);
    const params = add.length > 0 ? add : this.collect(this.confirmed, this.wanted);
    if (params.length === 0) return undefined;
    const request: SubscriptionRequest = { method: add.length > 0 ? 'SUBSCRIBE' : 'UNSUBSCRIBE', params, id: this.nextId++ };
    this.inFlight.set(request.id, request);
    for (const s of params) this.busy.add(s);
    return request;
  }

  /** Applies a reply. Returns false for an id this set never issued. */
  settle(id: number, ok: boolean): boolean {
    const request = this.inFlight.get(id);
    if (request === undefined) return false;
    this.inFlight.delete(id);
    for (const s of request.params) {
      this.busy.delete(s);
      if (!ok) continue;
      if (request.method === 'SUBSCRIBE') this.confirmed.add(s);
      else this.confirmed.delete(s);
    }
    if (!ok) this.errors++;
    return true;
  }

  /** Members of `from` missing in `notIn` and not already in flight, at most one request's worth. */
  private collect(from: Set<string>, notIn: Set<string>): string[] {
    const out: string[] = [];
    for (const s of from) {
      if (notIn.has(s) || this.busy.has(s)) continue;
      out.push(s);
      if (out.length === MAX_PARAMS_PER_REQUEST) break;
    }
    return out;
  }
}
