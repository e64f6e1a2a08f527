import type { Clock } from '../../domain/clock.js';
import { ServiceError } from '../../domain/errors.js';
import type { AuthenticatedHolder } from '../../services/etk-registration.js';
import { NS } from '../../soap/namespaces.js';
import type { SoapOperation } from '../../soap/service.js';
import { textEl } from '../../xml/builder.js';
import { childrenNamed, textOf, type Element } from '../../xml/parse.js';
import type { SoapCall } from '../../soap/service.js';
import type { EtkRaFrontEndDependencies } from './dependencies.js';
import { etkRaResponse, type EtkRaResponseName } from './responses.js';

/** Handlers are thin: authenticate and read the signed element → service → response. Policy lives in EtkRegistration. */

function operation(name: string, localName: string, responseName: EtkRaResponseName, clock: Clock, handle: SoapOperation['handle']): SoapOperation {
  return {
    name,
    requestElement: { namespace: NS.etkraProtocolV2, localName },
    handle,
    businessError: (error, call) => etkRaResponse(responseName, call, clock, error),
  };
}

/**
 * Every EtkRA request is signed with an eHealth authentication certificate of ours (valid, not revoked); the holder
 * comes from the registry. Request fields are read from the signed element only.
 */
async function authenticatedHolder(frontEnd: EtkRaFrontEndDependencies, call: SoapCall): Promise<{ holder: AuthenticatedHolder; request: Element }> {
  const { signer, request } = await frontEnd.authenticator.authenticate(call.envelope.payload, 'ehealth');
  return { holder: await frontEnd.registration.holderOf(signer), request };
}

/** base64Binary child of the signed request element (schema-checked already); undefined when absent. */
function base64Child(signed: Element, localName: string): Buffer | undefined {
  const [element] = childrenNamed(signed, NS.etkraProtocolV2, localName);
  return element ? Buffer.from(textOf(element).replace(/\s+/g, ''), 'base64') : undefined;
}

export function startEtkRegistration(frontEnd: EtkRaFrontEndDependencies): SoapOperation {
  const { clock } = frontEnd;
  return operation('startETKRegistration', 'StartETKRegistrationRequest', 'StartETKRegistrationResponse', clock, async (call) => {
    const { holder, request } = await authenticatedHolder(frontEnd, call);
    const key = base64Child(request, 'PublicEncryptionKey');
    if (!key) throw new ServiceError('WEAK_KEY', 'PublicEncryptionKey is missing');
    const challenge = await frontEnd.registration.start(holder, key);
    return etkRaResponse('StartETKRegistrationResponse', call, clock, 'success', textEl('erp:Challenge', challenge.toString('base64')));
  });
}

export function completeEtkRegistration(frontEnd: EtkRaFrontEndDependencies): SoapOperation {
  const { clock } = frontEnd;
  return operation('completeETKRegistration', 'CompleteETKRegistrationRequest', 'CompleteETKRegistrationResponse', clock, async (call) => {
    const { holder, request } = await authenticatedHolder(frontEnd, call);
    const toBeRegistered = base64Child(request, 'ToBeRegistered');
    if (!toBeRegistered) throw new ServiceError('ETK_INVALID', 'ToBeRegistered is missing');
    const { etk, toBeActivated } = await frontEnd.registration.complete(holder, toBeRegistered);
    return etkRaResponse(
      'CompleteETKRegistrationResponse',
      call,
      clock,
      'success',
      textEl('erp:ETK', etk.toString('base64')),
      textEl('erp:ToBeActivated', toBeActivated),
    );
  });
}

export function activateEtk(frontEnd: EtkRaFrontEndDependencies): SoapOperation {
  const { clock } = frontEnd;
  return operation('activateETK', 'ActivateETKRequest', 'ActivateETKResponse', clock, async (call) => {
    await frontEnd.registration.activate((await authenticatedHolder(frontEnd, call)).holder);
    return etkRaResponse('ActivateETKResponse', call, clock, 'success');
  });
}
