import type { Clock } from '../../domain/clock.js';
import { ServiceError } from '../../domain/errors.js';
import type { EtkRegistration } from '../../services/etk-registration.js';
import { NS } from '../../soap/namespaces.js';
import type { SoapOperation } from '../../soap/service.js';
import { textEl } from '../../xml/builder.js';
import { childrenNamed, textOf, type Element } from '../../xml/parse.js';
import { etkRaResponse, type EtkRaResponseName } from './responses.js';

/** Handlers are thin: authenticate and read the signed element → service → response. Policy lives in EtkRegistration. */

function operation(
  name: string,
  localName: string,
  responseName: EtkRaResponseName,
  clock: Clock,
  handle: SoapOperation['handle'],
): SoapOperation {
  return {
    name,
    requestElement: { namespace: NS.etkraProtocolV2, localName },
    handle,
    businessError: (error, call) => etkRaResponse(responseName, call, clock, error),
  };
}

/** base64Binary child of the signed request element (schema-checked already); undefined when absent. */
function base64Child(signed: Element, localName: string): Buffer | undefined {
  const [element] = childrenNamed(signed, NS.etkraProtocolV2, localName);
  return element ? Buffer.from(textOf(element).replace(/\s+/g, ''), 'base64') : undefined;
}

export function startEtkRegistration(registration: EtkRegistration, clock: Clock): SoapOperation {
  return operation('startETKRegistration', 'StartETKRegistrationRequest', 'StartETKRegistrationResponse', clock, async (call) => {
    const holder = await registration.authenticate(call.envelope.payload);
    const key = base64Child(holder.request, 'PublicEncryptionKey');
    if (!key) throw new ServiceError('WEAK_KEY', 'PublicEncryptionKey is missing');
    const challenge = await registration.start(holder, key);
    return etkRaResponse('StartETKRegistrationResponse', call, clock, 'success', textEl('erp:Challenge', challenge.toString('base64')));
  });
}

export function completeEtkRegistration(registration: EtkRegistration, clock: Clock): SoapOperation {
  return operation('completeETKRegistration', 'CompleteETKRegistrationRequest', 'CompleteETKRegistrationResponse', clock, async (call) => {
    const holder = await registration.authenticate(call.envelope.payload);
    const toBeRegistered = base64Child(holder.request, 'ToBeRegistered');
    if (!toBeRegistered) throw new ServiceError('ETK_INVALID', 'ToBeRegistered is missing');
    const { etk, toBeActivated } = await registration.complete(holder, toBeRegistered);
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

export function activateEtk(registration: EtkRegistration, clock: Clock): SoapOperation {
  return operation('activateETK', 'ActivateETKRequest', 'ActivateETKResponse', clock, async (call) => {
    await registration.activate(await registration.authenticate(call.envelope.payload));
    return etkRaResponse('ActivateETKResponse', call, clock, 'success');
  });
}
