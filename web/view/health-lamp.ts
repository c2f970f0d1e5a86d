import type { HealthView } from '../sync/health-view.js';

/**
 * The series health lamp in the header (issue 12): a coloured dot and a short label; the reason
 * is the hover text (`title`). Test hooks: `data-health` (green|yellow|red|gray) and
 * `data-health-reason` on `[data-testid="health-lamp"]`.
 */
export class HealthLamp {
  private readonly label: HTMLElement;

  constructor(private readonly element: HTMLElement) {
    this.label = element.querySelector<HTMLElement>('.health-label')!;
  }

  show(view: HealthView): void {
    this.element.dataset.health = view.tone;
    this.element.dataset.healthReason = view.reason;
    this.label.textContent = view.label;
    this.element.title = view.reason;
    this.element.setAttribute('aria-label', `Series health: ${view.label}. ${view.reason}`);
  }
}
