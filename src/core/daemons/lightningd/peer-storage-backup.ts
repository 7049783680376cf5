// The plaintext of the backup we leave with peers (BOLT 1 peer_storage, sealed by hsmd): what a node
// restored from its seed onto an empty store needs to find its channels again: each channel's id,
// peer, dbid (with the peer id, what hsmd derives the channel's keys from, so the peer's commitment's
// to_remote output is ours to find), funding outpoint and amount, channel_type and opener.
// Versioned JSON, read back strictly: a blob that opens but does not read is ignored, never trusted.
import { MAX_PEER_BACKUP_PLAINTEXT } from '../hsmd/peer-backup.ts';
import type { ChannelRecord, ChannelStateName } from './db.ts';

export interface BackupChannel {
  channel_id: string;
  peer_id: string;
  dbid: string;
  funding_txid: string;
  funding_outnum: number;
  funding_sat: string;
  channel_type: string;
  opener: 'local' | 'remote';
}

const VERSION = 1;
// Both fields named (a variable, not a literal): workers-types requires ignoreBOM beside fatal, env.d.ts knows only fatal.
const STRICT_UTF8_OPTIONS = { fatal: true, ignoreBOM: false };
const STRICT_UTF8 = new TextDecoder('utf-8', STRICT_UTF8_OPTIONS);

/**
 * States worth a backup: the funding output is unspent, so a restored node can still ask the peer
 * to close (once it is spent, onchaind's records say the rest).
 */
const BACKED_UP: ReadonlySet<ChannelStateName> = new Set([
  'CHANNELD_AWAITING_LOCKIN',
  'CHANNELD_NORMAL',
  'CHANNELD_SHUTTING_DOWN',
  'CLOSINGD_SIGEXCHANGE',
  'CLOSINGD_COMPLETE',
  'AWAITING_UNILATERAL',
]);

export function backupChannelOf(c: ChannelRecord): BackupChannel | undefined {
  if (!BACKED_UP.has(c.state)) return undefined;
  const { channel_id, peer_id, dbid, funding_txid, funding_outnum, funding_sat, channel_type, opener } = c;
  return { channel_id, peer_id, dbid, funding_txid, funding_outnum, funding_sat, channel_type, opener };
}

const FIELDS = ['channel_id', 'peer_id', 'dbid', 'funding_txid', 'funding_outnum', 'funding_sat', 'channel_type', 'opener'] as const;

/**
 * The backup for `forPeer`: its own channels first, then the others, as many as fit in a peer_storage
 * (a sealed blob is at most 65531 bytes, BOLT 1). `omitted` counts what did not fit.
 */
export function encodeBackup(channels: readonly BackupChannel[], forPeer: string): { plaintext: Uint8Array; omitted: number } {
  const ordered = [...channels.filter(c => c.peer_id === forPeer), ...channels.filter(c => c.peer_id !== forPeer)];
  const rows: string[] = [];
  let size = `{"v":${VERSION},"channels":[]}`.length;
  for (const c of ordered) {
    const row = JSON.stringify(FIELDS.map(f => c[f]));
    if (size + row.length + 1 > MAX_PEER_BACKUP_PLAINTEXT) break;
    rows.push(row);
    size += row.length + 1;
  }
  const text = `{"v":${VERSION},"channels":[${rows.join(',')}]}`;
  return { plaintext: new TextEncoder().encode(text), omitted: ordered.length - rows.length };
}

const HEX32 = /^[0-9a-f]{64}$/;
const NODE_ID = /^0[23][0-9a-f]{64}$/;
const DECIMAL = /^(0|[1-9][0-9]{0,19})$/;
const HEX = /^([0-9a-f]{2}){0,32}$/;

function readRow(row: unknown): BackupChannel | undefined {
  if (!Array.isArray(row) || row.length !== FIELDS.length) return undefined;
  const [channel_id, peer_id, dbid, funding_txid, funding_outnum, funding_sat, channel_type, opener] = row as unknown[];
  const str = (v: unknown, re: RegExp): v is string => typeof v === 'string' && re.test(v);
  if (!str(channel_id, HEX32) || !str(peer_id, NODE_ID) || !str(dbid, DECIMAL) || !str(funding_txid, HEX32)) return undefined;
  if (typeof funding_outnum !== 'number' || !Number.isInteger(funding_outnum) || funding_outnum < 0 || funding_outnum > 0xffff)
    return undefined;
  if (!str(funding_sat, DECIMAL) || !str(channel_type, HEX) || (opener !== 'local' && opener !== 'remote')) return undefined;
  return { channel_id, peer_id, dbid, funding_txid, funding_outnum, funding_sat, channel_type, opener };
}

/** The channels of a backup we sealed, or undefined when it is not one (a version we do not know, a malformed row). */
export function decodeBackup(plaintext: Uint8Array): BackupChannel[] | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(STRICT_UTF8.decode(plaintext));
  } catch {
    return undefined;
  }
  const d = doc as { v?: unknown; channels?: unknown };
  if (typeof d !== 'object' || d === null || d.v !== VERSION || !Array.isArray(d.channels)) return undefined;
  const out: BackupChannel[] = [];
  for (const row of d.channels) {
    const c = readRow(row);
    if (!c) return undefined;
    out.push(c);
  }
  return out;
}
