import { randomBytes } from 'node:crypto';

/**
 * 16 CSPRNG octets with the top bit cleared (a positive INTEGER needing no sign octet) and a non-zero first octet
 * (so DER keeps all 16 octets): at least 120 bits of entropy, within RFC 5280's 20-octet limit.
 */
export function randomSerial(): Buffer {
  for (;;) {
    const serial = randomBytes(16);
    serial[0] = serial[0]! & 0x7f;
    if (serial[0] !== 0) return serial;
  }
}
