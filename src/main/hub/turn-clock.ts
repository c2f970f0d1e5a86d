/**
 * Counts turns of the event loop, as far as topic publishing needs them. uWS writes small
 * published frames to the sockets in its loop hooks (before and after polling), not during the
 * publish; until then a socket's buffered amount does not show them. A tick advances when a
 * `setImmediate` fires, and the next one is only scheduled from there, so between the start of
 * tick N and the start of tick N + 2 the loop went through a poll phase and its hooks at least
 * once: whatever was published before tick N began is in the sockets' buffers (or the kernel's)
 * by tick N + 2. A group's frames not yet counted in a buffered amount are therefore at most those
 * it published during the current and the previous tick (TopicGroup.undrainedBytes).
 */
export class TurnClock {
  private current = 0;
  private scheduled = false;
  private readonly advance = (): void => {
    this.current++;
    this.scheduled = false;
  };

  /** The current tick; asking for it keeps the clock running while someone publishes. */
  now(): number {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.advance);
    }
    return this.current;
  }
}
