import type { Clock } from '../../domain/clock.js';
import type { EtkRegistration } from '../../services/etk-registration.js';
import type { RequestAuthenticator } from '../authentication/signed-request.js';

/** What the EtkRA front end consumes: the registration service and the shared authentication of signed RA requests. */
export interface EtkRaFrontEndDependencies {
  readonly registration: Pick<EtkRegistration, 'holderOf' | 'start' | 'complete' | 'activate'>;
  readonly authenticator: RequestAuthenticator;
  readonly clock: Clock;
}
