import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { ConnectError, ErrorCode } from '../errors.js';

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
    case 'tls':
      return tlsConnect({
        host: target.host,
        port: target.port,
        ...(target.localAddress ? { localAddress: target.localAddress } : {}),
        ...tlsClientOptions(target.host, target.tls),
      });
  }
}

/** The socket event after which a dialled socket is usable. */
export function readyEvent(target: StreamTarget): 'connect' | 'secureConnect' {
  return target.transport === 'tls' ? 'secureConnect' : 'connect';
}

/** The TLS client options of a target (TCP or WebSocket): SNI from the host unless it is an IP. */
export function tlsClientOptions(host: string, tls: TlsTarget['tls'] = {}): ConnectionOptions {
  const isIp = /^[\d.]+$|:/.test(host);
  const servername = tls.servername ?? (isIp ? undefined : host);
  return {
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
    ...(tls.key !== undefined ? { key: tls.key } : {}),
    ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
    ...(servername !== undefined ? { servername } : {}),
    rejectUnauthorized: tls.rejectUnauthorized ?? true,
  };
}

/**
 * A dial failure as a {@link ConnectError}: a failed name lookup or a malformed address could
 * never connect (ERR_OPEN_FAILED); anything else was refused or timed out (ERR_CONNECT_FAILED).
 */
export function connectError(error: NodeJS.ErrnoException, where: string): ConnectError {
  const cannotBegin = error.syscall === 'getaddrinfo' || error.code === 'ERR_INVALID_IP_ADDRESS';
  return new ConnectError(
    cannotBegin ? ErrorCode.OpenFailed : ErrorCode.ConnectFailed,
    `${cannotBegin ? 'cannot open' : 'cannot connect to'} ${where}: ${error.message}`,
    error.code,
    { cause: error },
  );
}

/** The error a dial that outlived its connect timeout fails with (code ETIMEDOUT). */
export function connectTimeoutError(timeout: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect timed out after ${timeout} ms`), { code: 'ETIMEDOUT' });
}
