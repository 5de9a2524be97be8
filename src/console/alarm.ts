/**
 * The sound cue for a shutdown: a short two-tone alarm from Web Audio (no audio file to serve).
 * Browsers only let a page play sound after a user gesture, so the context is unlocked on the
 * first click or key press; until then the red banner alone carries the signal.
 */
let ctx: AudioContext | undefined;

export function unlockAudio(): void {
  try {
    ctx ??= new AudioContext();
    if (ctx.state === 'suspended') void ctx.resume();
  } catch {
    ctx = undefined; // no Web Audio: the banner still shows
  }
}

/** Plays the alarm; returns false when sound is not available yet. */
export function soundAlarm(): boolean {
  if (!ctx || ctx.state !== 'running') return false;
  const t0 = ctx.currentTime;
  const gain = ctx.createGain();
  gain.gain.setValueAtTime(0.0001, t0);
  gain.gain.exponentialRampToValueAtTime(0.25, t0 + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.9);
  gain.connect(ctx.destination);
  const osc = ctx.createOscillator();
  osc.type = 'square';
  osc.frequency.setValueAtTime(880, t0);
  osc.frequency.setValueAtTime(660, t0 + 0.3);
  osc.frequency.setValueAtTime(880, t0 + 0.6);
  osc.connect(gain);
  osc.start(t0);
  osc.stop(t0 + 0.9);
  return true;
}
