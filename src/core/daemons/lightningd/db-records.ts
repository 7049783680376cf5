// lightningd's database as records: the in-memory state (db.ts LightningdState) maps to one record
// per entry of each map of records (a peer, a channel, an invoice, a table's record...) and one
// `meta` record for everything else, so a write carries only the records that changed. The mapping
// is generic: any top-level field that is an object of objects is cut per entry, and so is any such
// entry in turn (`tables:payments:<key>`); a field added to the state later needs no edit here.

/** The key of the record holding the scalar fields, and which objects were cut into records. */
export const META_KEY = 'meta';
/** The key under which a store written before records held the whole state in one value. */
export const LEGACY_STATE_KEY = 'lightningd';
/** Cut at most this deep: field, then entry (a table), then its entries (the table's records). */
const MAX_DEPTH = 2;

interface Meta {
  /** The fields not cut into records, as they are. */
  fields: Record<string, unknown>;
  /** Every object that was cut, by path (so an empty map comes back empty, not missing). */
  maps: string[][];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** An object whose every value is an object: a map of records, cut into one record per entry. */
const isMapOfRecords = (v: unknown): v is Record<string, Record<string, unknown>> =>
  isPlainObject(v) && Object.values(v).every(isPlainObject);

/** A path to a record key: segments escaped so that a `:` in a label or a table key stays apart. */
export const recordKey = (path: string[]): string => path.map(encodeURIComponent).join(':');
const keyPath = (key: string): string[] => key.split(':').map(decodeURIComponent);

/** Sets an own property, even one named `__proto__` (an invoice label can be anything). */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

/** The state as records, each value serialised (JSON): what a write compares and carries. */
export function toRecords(state: object): Map<string, string> {
  const out = new Map<string, string>();
  const meta: Meta = { fields: {}, maps: [] };
  const cut = (path: string[], map: Record<string, Record<string, unknown>>): void => {
    meta.maps.push(path);
    const prefix = `${recordKey(path)}:`;
    for (const k in map) {
      if (!Object.hasOwn(map, k)) continue;
      const v = map[k];
      if (path.length < MAX_DEPTH && isMapOfRecords(v)) cut([...path, k], v);
      else out.set(prefix + encodeURIComponent(k), JSON.stringify(v));
    }
  };
  for (const [field, v] of Object.entries(state)) {
    if (v === undefined) continue;
    if (isMapOfRecords(v)) cut([field], v);
    else setOwn(meta.fields, field, v);
  }
  out.set(META_KEY, JSON.stringify(meta));
  return out;
}

/** The state the records (JSON text, by key) describe; undefined without a `meta` record (nothing written yet). */
export function fromRecords(records: Map<string, string>): Record<string, unknown> | undefined {
  const metaJson = records.get(META_KEY);
  const meta = (metaJson === undefined ? undefined : JSON.parse(metaJson)) as Meta | undefined;
  if (!isPlainObject(meta) || !isPlainObject(meta.fields) || !Array.isArray(meta.maps)) return undefined;
  const state: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta.fields)) setOwn(state, k, v);
  const at = (path: string[]): Record<string, unknown> => {
    let o = state;
    for (const seg of path) {
      if (!Object.hasOwn(o, seg) || !isPlainObject(o[seg])) setOwn(o, seg, {});
      o = o[seg] as Record<string, unknown>;
    }
    return o;
  };
  for (const path of meta.maps) at(path);
  for (const [key, v] of records) {
    if (key === META_KEY || key === LEGACY_STATE_KEY) continue;
    const path = keyPath(key);
    setOwn(at(path.slice(0, -1)), path[path.length - 1]!, JSON.parse(v));
  }
  return state;
}

/** What turns `from` into `to`: the records to put (changed or new) and the keys to delete. */
export function diffRecords(from: Map<string, string>, to: Map<string, string>): { puts: [string, string][]; deletes: string[] } {
  const puts: [string, string][] = [];
  for (const [k, v] of to) if (from.get(k) !== v) puts.push([k, v]);
  const deletes = [...from.keys()].filter(k => !to.has(k));
  return { puts, deletes };
}
