/**
 * The few iterator helpers Node 20 lacks (no `Iterator.prototype.filter` before Node 22), for
 * sequences that are read again on every pass (a report's hosts, from the results file) and must
 * never be copied into an array as a whole. Pure; `filter` and `map` are lazy.
 */

export function* filter<T>(items: Iterable<T>, keep: (item: T) => boolean): Generator<T> {
  for (const item of items) if (keep(item)) yield item;
}

export function* map<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}

/** Stops at the first match (a file-backed sequence reads no further). */
export function some<T>(items: Iterable<T>, test: (item: T) => boolean): boolean {
  for (const item of items) if (test(item)) return true;
  return false;
}
