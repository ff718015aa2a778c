import { constants } from 'node:crypto';
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { BadTlsMaterialError } from '../errors.js';
import type { TlsServerMaterial } from './endpoint.js';

/** Builds the secure context up front, so bad key material fails `start()`, not the first peer. */
export function secureContextFor(material: TlsServerMaterial, where: string): SecureContext {
  if (material.secureContext) return material.secureContext;
  if (!material.key || !material.cert) {
    throw new BadTlsMaterialError(`TLS endpoint ${where} needs key and cert, or secureContext`);
  }
  try {
    return createSecureContext({
      key: material.key,
      cert: material.cert,
      ...(material.ca !== undefined ? { ca: material.ca } : {}),
      ...(material.passphrase !== undefined ? { passphrase: material.passphrase } : {}),
      minVersion: material.minVersion ?? 'TLSv1.2',
      // TLS 1.2 renegotiation costs the server a full handshake per request and is a known flood
      // vector. Node's own renegotiation limit lives in tls.Server, which we do not use (TLS is
      // layered per accepted socket), so it is refused outright, as nginx does.
      secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
    });
  } catch (error) {
    throw new BadTlsMaterialError(`bad TLS key material for ${where}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The server side of TLS over an accepted socket. Listeners layer TLS per socket rather than use
 * `tls.Server`, so that the handshake runs on their own deadline (and the connection, for TCP,
 * exists before it). A raw-socket error before the TLS layer sees it (a reset mid-handshake)
 * surfaces through the TLS socket, so the raw one only needs a listener that keeps it quiet.
 */
export function acceptTls(raw: Socket, secureContext: SecureContext, material: TlsServerMaterial | undefined): TLSSocket {
  raw.on('error', () => undefined);
  return new TLSSocket(raw, {
    isServer: true,
    secureContext,
    requestCert: material?.requestCert ?? false,
    rejectUnauthorized: material?.rejectUnauthorized ?? true,
  });
}
