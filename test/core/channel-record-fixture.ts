// A channel as lightningd's database holds it, in normal operation, for tests of what lightningd
// does around its channels (payments, receiving, forwarding, the database itself).
import type { ChannelRecord } from '../../src/core/daemons/lightningd/db.ts';

/** A CHANNELD_NORMAL record of 1,000,000 sat; `dbid` also names its channel_id. */
export function channelRecord(dbid: string, peer: string, more: Partial<ChannelRecord> = {}): ChannelRecord {
  return {
    dbid,
    peer_id: peer,
    state: 'CHANNELD_NORMAL',
    opener: 'local',
    channel_id: dbid.padStart(64, '0'),
    funding_txid: '00'.repeat(32),
    funding_outnum: 0,
    funding_sat: '1000000',
    push_msat: '0',
    channel_type: '',
    announce: false,
    minimum_depth: 1,
    funded: '',
    ...more,
  };
}
