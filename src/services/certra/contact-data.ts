import type { ContactData } from '../../domain/certra.js';
import { ServiceError } from '../../domain/errors.js';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}$/u;
const PHONE = /^[0-9+()./\s-]{4,32}$/u;

/** A trimmed e-mail address of the shape ContactData accepts; malformed → INVALID_REQUEST naming `what`. */
export function normaliseEmail(value: string, what: string): string {
  const trimmed = value.trim();
  if (!EMAIL.test(trimmed)) throw new ServiceError('INVALID_REQUEST', `${what} is not an e-mail address`);
  return trimmed;
}

/** Trimmed contact data, empty optional fields dropped (some clients send empty elements); malformed → INVALID_REQUEST. */
export function normaliseContactData(input: ContactData): ContactData {
  const field = (value: string | undefined, pattern: RegExp, name: string, required: boolean): string | undefined => {
    const trimmed = value?.trim() ?? '';
    if (trimmed === '') {
      if (required) throw new ServiceError('INVALID_REQUEST', `ContactData/${name} is required`);
      return undefined;
    }
    if (!pattern.test(trimmed)) throw new ServiceError('INVALID_REQUEST', `ContactData/${name} is malformed`);
    return trimmed;
  };
  const emailGeneral = field(input.emailGeneral, EMAIL, 'EmailGeneral', false);
  const phoneGeneral = field(input.phoneGeneral, PHONE, 'PhoneGeneral', false);
  return {
    emailPrivate: field(input.emailPrivate, EMAIL, 'EmailPrivate', true)!,
    ...(emailGeneral !== undefined ? { emailGeneral } : {}),
    phonePrivate: field(input.phonePrivate, PHONE, 'PhonePrivate', true)!,
    ...(phoneGeneral !== undefined ? { phoneGeneral } : {}),
  };
}
