import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface TcpTarget {
  transport: 'tcp';
  host: string;
  port: number;
  /** Local address to connect from (e.g. 127.0.0.2 for more source ports on loopback). */
  localAddress?: string;
}

export interface TlsTarget extends Omit<TcpTarget, 'transport'> {
  transport: 'tls';
  tls?: {
    ca?: string | Buffer | Array<string | Buffer>;
    cert?: string | Buffer;
    key?: string | Buffer;
    passphrase?: string;
    /** SNI name. @default host, unless it is an IP address */
    servername?: string;
    /** Refuse a server whose certificate does not verify. @default true */
    rejectUnauthorized?: boolean;
  };
}

export interface UnixTarget {
  transport: 'unix';
  path: string;
}

export type StreamTarget = TcpTarget | TlsTarget | UnixTarget;

/** Starts a connection. See {@link readyEvent} for the event that says it is usable. */
export function dialStream(target: StreamTarget): Socket {
  switch (target.transport) {
    case 'tcp': {
      const socket = netConnect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true, ...(target.localAddress ? { localAddress: target.localAddress } : {}) });
      return socket;
    }
    case 'unix':
      return netConnect({ path: target.path, allowHalfOpen: true });
    case 'tls': {
      const tls = target.tls ?? {};
      const isIp = /^[\d.]+$|:/.test(target.host);
      const socket = tlsConnect({
        host: target.host,
        port: target.port,
        ...(target.localAddress ? { localAddress: target.localAddress } : {}),
        ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
        ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
        ...(tls.key !== undefined ? { key: tls.key } : {}),
        ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
        ...(tls.servername ?? (!isIp ? target.host : undefined) ? { servername: tls.servername ?? target.host } : {}),
        rejectUnauthorized: tls.rejectUnauthorized ?? true,
      });
      return socket;
    }
  }
}

/** The socket event after which a dialled socket is usable. */
export function readyEvent(target: StreamTarget): 'connect' | 'secureConnect' {
  return target.transport === 'tls' ? 'secureConnect' : 'connect';
}
