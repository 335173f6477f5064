// How department names compare: one department per name in any case, accents or spacing ("ventas" is "Ventas").

/** A department name folded for comparison; migration 0010 folds existing names the same way. */
export function departmentKey(name: string): string {
  return name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * Names departments as the account spells them: a name given in another case or accents becomes the existing
 * department's (or the first spelling seen, for a department new to the account).
 */
export class DepartmentSpelling {
  private readonly byKey = new Map<string, string>();

  constructor(existing: readonly string[]) {
    for (const name of existing) this.add(name);
  }

  private add(name: string): string {
    const key = departmentKey(name);
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    this.byKey.set(key, name);
    return name;
  }

  /** The spelling to store for `name` ('' stays ''). */
  of(name: string): string {
    return name ? this.add(name) : name;
  }
}
