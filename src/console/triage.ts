/**
 * Triage by keyboard, so a moderator on a shift need not reach for the mouse:
 *   j / ↓  next (older) flag        k / ↑  previous (newer) flag
 *   d      dismiss the selected flag
 *   o / ⏎  open the selected flag's stream
 *   s      shut the selected flag's stream down — asks first; y confirms, n or Esc cancels
 *   Esc    close the stream view, or cancel
 * Keys typed into a text field are left alone.
 */
export interface TriageActions {
  next(): void;
  previous(): void;
  dismiss(): void;
  open(): void;
  /** The stream a shutdown would apply to now, or undefined (nothing selected). */
  shutdownTarget(): string | undefined;
  shutdown(stream: string): void;
  escape(): void;
  /** Shows (or, with '', clears) the confirmation prompt. */
  prompt(text: string): void;
}

export function keyboardTriage(actions: TriageActions): (ev: KeyboardEvent) => void {
  let arming: string | undefined;
  const disarm = () => {
    arming = undefined;
    actions.prompt('');
  };
  return (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target as HTMLElement | null;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA' || t.isContentEditable)) return;
    if (arming !== undefined) {
      // A shutdown takes a stream off the air: only an explicit yes goes on.
      const stream = arming;
      ev.preventDefault();
      disarm();
      if (ev.key === 'y' || ev.key === 'Y') actions.shutdown(stream);
      return;
    }
    switch (ev.key) {
      case 'j':
      case 'ArrowDown':
        actions.next();
        break;
      case 'k':
      case 'ArrowUp':
        actions.previous();
        break;
      case 'd':
        actions.dismiss();
        break;
      case 'o':
      case 'Enter':
        if (t && (t.tagName === 'BUTTON' || t.tagName === 'A')) return; // Enter on a button presses it
        actions.open();
        break;
      case 's': {
        const stream = actions.shutdownTarget();
        if (stream === undefined) return;
        arming = stream;
        actions.prompt(`Shut down ${stream}? y: shut it down · n / Esc: cancel`);
        break;
      }
      case 'Escape':
        actions.escape();
        break;
      default:
        return;
    }
    ev.preventDefault();
  };
}
