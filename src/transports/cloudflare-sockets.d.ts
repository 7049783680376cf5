// The one function this project uses from workerd's `cloudflare:sockets`, declared minimally so that
// nothing needs @cloudflare/workers-types; cloudflare-socket.ts states the socket shape it relies on.
declare module 'cloudflare:sockets' {
  export function connect(
    address: { hostname: string; port: number },
    options?: { secureTransport?: 'off' | 'on' | 'starttls'; allowHalfOpen?: boolean },
  ): unknown;
}
