// Typed errors of the graph queries (listchannels, listnodes, getroute), shaped after Core
// Lightning's answers: bad parameters (JSON-RPC -32602) and no route (PAY_ROUTE_NOT_FOUND, 205).
import { BoltError } from '../base/errors.ts';

/** A query parameter we cannot use: a malformed node id, short_channel_id, exclude entry, amount. */
export class QueryError extends BoltError {}

/**
 * getroute found nothing: 'unknown_source', 'unknown_destination' (no public channel),
 * 'route_not_found', 'route_too_long' (even the shortest route has more than maxhops hops).
 */
export class RouteError extends BoltError {}
