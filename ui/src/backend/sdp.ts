/** The `a=fingerprint` value of a description: the hash of its DTLS certificate. */
export function dtlsFingerprint(sdp: string | undefined): string | null {
  return sdp?.match(/^a=fingerprint:(.+)$/m)?.[1]?.trim() ?? null;
}

/**
 * Whether an offer comes from a new connection of the partner's, not a
 * renegotiation of the current one: each connection has a certificate of
 * its own. The desktop app makes its connection again when it has not come
 * up in 10 s (a DTLS handshake can stall for good), and ours must follow:
 * a browser refuses a changed certificate on the same connection.
 */
export function isNewConnection(currentRemote: string | undefined, offer: string): boolean {
  const known = dtlsFingerprint(currentRemote);
  const offered = dtlsFingerprint(offer);
  return known !== null && offered !== null && known !== offered;
}
