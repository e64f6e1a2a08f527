import type { FastifyInstance } from 'fastify';
import type { CertRaLanguage } from '../../domain/certra.js';
import { foreignerRequestByReference, hasLapsed, type CertRaDependencies } from '../../services/certra/index.js';
import { el } from '../../xml/builder.js';

/**
 * The page behind SubmitCSRForForeignerResponse/ValidationUrl. There is no online identity check here: the page tells
 * the foreigner where the request stands and how the identity is validated out of band (an officer checks an
 * identity document, then approves with `npm run admin -- certra:requests:approve --identity-evidence …`).
 */
export const FOREIGNER_VALIDATION_PATH = '/CertRa/v2/foreigner-validation';

export function foreignerValidationUrl(publicBaseUrl: string, reference: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}${FOREIGNER_VALIDATION_PATH}/${reference}`;
}

export async function foreignerValidationRoutes(app: FastifyInstance, deps: CertRaDependencies): Promise<void> {
  app.get(`${FOREIGNER_VALIDATION_PATH}/:reference`, async (request, reply) => {
    const { reference } = request.params as { reference: string };
    const found = await foreignerRequestByReference(deps, reference);
    if (found?.channel !== 'foreigner') return reply.code(404).type('text/plain; charset=utf-8').send('unknown validation reference\n');
    const state = hasLapsed(found, deps.clock.now()) ? 'LAPSED' : found.status;
    const expires = found.validationExpiresAt?.toISOString() ?? '';
    const texts: Record<CertRaLanguage, Record<typeof state, string>> = {
      en: {
        PENDING: `Your request waits for the validation of your identity. Contact the eHealth certificates service with an identity document before ${expires}; an officer checks it and approves the request.`,
        ISSUED: 'Your identity was validated and your certificate issued: retrieve it in your certificate manager.',
        REFUSED: 'Your request was refused. Submit a new request if needed.',
        LAPSED: `Your identity was not validated before ${expires}. Submit a new request.`,
      },
      fr: {
        PENDING: `Votre demande attend la validation de votre identité. Présentez un document d’identité au service des certificats eHealth avant le ${expires} ; un agent le vérifie et approuve la demande.`,
        ISSUED: 'Votre identité a été validée et votre certificat émis : récupérez-le dans votre gestionnaire de certificats.',
        REFUSED: 'Votre demande a été refusée. Introduisez une nouvelle demande si nécessaire.',
        LAPSED: `Votre identité n’a pas été validée avant le ${expires}. Introduisez une nouvelle demande.`,
      },
      nl: {
        PENDING: `Uw aanvraag wacht op de validatie van uw identiteit. Toon een identiteitsdocument aan de dienst eHealth-certificaten vóór ${expires}; een medewerker controleert het en keurt de aanvraag goed.`,
        ISSUED: 'Uw identiteit werd gevalideerd en uw certificaat uitgegeven: haal het op in uw certificaatbeheerder.',
        REFUSED: 'Uw aanvraag werd geweigerd. Dien indien nodig een nieuwe aanvraag in.',
        LAPSED: `Uw identiteit werd niet gevalideerd vóór ${expires}. Dien een nieuwe aanvraag in.`,
      },
    };
    const page = el(
      'html',
      { lang: 'en' },
      el('head', null, el('meta', { charset: 'utf-8' }), el('title', null, 'eHealth certificate request')),
      el(
        'body',
        null,
        el('h1', null, 'eHealth certificate request'),
        el('p', null, `Public key identifier: ${found.publicKeyIdentifier}`),
        (['en', 'fr', 'nl'] as const).map((lang) => el('p', { lang }, texts[lang][state])),
      ),
    );
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(`<!DOCTYPE html>\n${page.markup}`);
  });
}
