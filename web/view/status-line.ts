import type { LoadStatus } from '../sync/series-sync.js';

const LABELS: Record<LoadStatus, string> = {
  loading: 'Loading',
  ready: 'Live',
  reconnecting: 'Reconnecting',
  error: 'Error',
};

/** The header's status pill: a coloured dot, the state, and the reason when there is one. */
export class StatusLine {
  private readonly label: HTMLElement;
  private readonly reason: HTMLElement;

  constructor(private readonly element: HTMLElement) {
    this.label = element.querySelector<HTMLElement>('.status-label')!;
    this.reason = element.querySelector<HTMLElement>('.status-reason')!;
  }

  show(status: LoadStatus, reason: string): void {
    this.element.dataset.status = status;
    this.label.textContent = LABELS[status];
    this.reason.textContent = reason;
    // The full text on hover: long reasons are ellipsised on narrow screens.
    this.element.title = reason ? `${LABELS[status]}: ${reason}` : LABELS[status];
  }
}
