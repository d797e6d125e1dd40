/**
 * Sorting for the many short lists of a translation (the keys of one createOptions object, a
 * module's ports or volumes: mostly 0 to 5 items). V8's `Array.prototype.sort` allocates its
 * work arrays on every call (about 1 kB, even for one item) and costs several times an insertion
 * sort on such lists, so short lists are insertion-sorted here and longer ones handed to the
 * native sort. The order is the one `Array.prototype.sort` gives: stable, and without a compare
 * function by UTF-16 code units.
 */

/** Lists up to this length are insertion-sorted. */
const SHORT = 12;

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Sorts strings in place by UTF-16 code units, as `items.sort()` does; returns `items`. */
export function sortStrings(items: string[]): string[] {
  return items.length > SHORT ? items.sort() : sortBy(items, byCodeUnits);
}

/** Sorts in place by a consistent `compare`, stable, as `items.sort(compare)` does; returns `items`. */
export function sortBy<T>(items: T[], compare: (a: T, b: T) => number): T[] {
  if (items.length > SHORT) return items.sort(compare);
  for (let i = 1; i < items.length; i++) {
    const v = items[i]!;
    let j = i - 1;
    while (j >= 0 && compare(items[j]!, v) > 0) {
      items[j + 1] = items[j]!;
      j--;
    }
    items[j + 1] = v;
  }
  return items;
}

/** The own enumerable keys of `record`, sorted by UTF-16 code units (`Object.keys(record).sort()`). */
export function sortedKeys(record: object): string[] {
  return sortStrings(Object.keys(record));
}
