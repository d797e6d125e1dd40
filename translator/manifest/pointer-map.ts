/**
 * Maps JSON pointers in a processed document back to where the value came from in the files
 * the user wrote: a template key renamed by a placeholder, or a value merged in from a layer.
 */

/** Where a mapped pointer now points, and a note naming the file when it is not the base. */
export interface MappedPointer {
  pointer: string;
  note?: string;
}

interface Entry {
  from: string;
  to: string;
  note?: string;
}

function isUnder(pointer: string, prefix: string): boolean {
  return pointer === prefix || pointer.startsWith(prefix + '/');
}

export class PointerMap {
  private entries: Entry[] = [];

  /**
   * Values at `from` (and below) come from `to`. A later entry replaces earlier entries at or
   * below the same pointer, as a later layer replaces the values it overrides.
   */
  add(from: string, to: string, note?: string): void {
    this.entries = this.entries.filter((e) => !isUnder(e.from, from));
    this.entries.push(note === undefined ? { from, to } : { from, to, note });
  }

  /** Maps a pointer by its longest matching entry; pointers with no entry map to themselves. */
  map(pointer: string): MappedPointer {
    let best: Entry | undefined;
    for (const e of this.entries) if (isUnder(pointer, e.from) && (best === undefined || e.from.length > best.from.length)) best = e;
    if (best === undefined) return { pointer };
    const mapped = best.to + pointer.slice(best.from.length);
    return best.note === undefined ? { pointer: mapped } : { pointer: mapped, note: best.note };
  }

  get size(): number {
    return this.entries.length;
  }
}
