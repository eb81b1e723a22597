import v8 from 'node:v8';

/**
 * Turns off V8's allocation-site pretenuring in a process that sends editions (`npm start`, the
 * digest:now command). Called first thing in their entry points: a site V8 tenured before stays so.
 *
 * Why (docs/benchmarks.md, "Memory: the growth from 10,000 to 100,000 subscribers"): when V8 sees
 * the objects of one allocation site alive at a scavenge, it allocates all later ones straight in
 * old space. A claim of 200 deliveries (pg rows, their strings, our delivery objects) is such a
 * burst, so once that happens every delivery of the send lands in old space as garbage that only a
 * full collection frees, dragging the young strings it points to with it. A full collection waits
 * until old space has grown by the headroom V8 gave it at start-up, so a send of 100,000 ended
 * 34 MB heavier than it began (peak RSS +22% over 10,000), half of it from pretenured sites;
 * which sites V8 tenured changed with unrelated edits (the bisect's "config and wiring merge").
 * Without pretenuring every object starts young, as the send's short-lived objects should.
 */
export function disablePretenuring(): void {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}
