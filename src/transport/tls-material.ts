import { constants } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { ErrorCode, SwitchboardError } from '../errors.js';
import type { TlsServerMaterial } from './endpoint.js';

/** Builds the secure context up front, so bad key material fails `start()`, not the first peer. */
export function secureContextFor(material: TlsServerMaterial, where: string): SecureContext {
  if (material.secureContext) return material.secureContext;
  if (!material.key || !material.cert) {
    throw new SwitchboardError(ErrorCode.BadTlsMaterial, `TLS endpoint ${where} needs key and cert, or secureContext`);
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
    throw new SwitchboardError(ErrorCode.BadTlsMaterial, `bad TLS key material for ${where}: ${(error as Error).message}`, { cause: error });
  }
}
