/** A start-up problem the person running the demo can fix; its message is printed as is, no stack. */
export class DemoError extends Error {
  override readonly name = 'DemoError';
}
