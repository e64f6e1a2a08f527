import { CERTRA_LANGUAGES, type Actor, type CertRaLanguage, type RevocationReason } from '../../domain/certra.js';
import type { Environment } from '../../domain/environment.js';
import type { EhealthDn } from '../../identifiers/index.js';
import type { LocalizedText } from './types.js';

/**
 * The human-readable contracts (TextType: one HTML5 document per language, xml:lang fr, nl, en). Clients must show
 * them before the user signs, and the seal binds them, so they are rendered deterministically from their inputs.
 */

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function personName(actor: Actor): string {
  return [...actor.firstNames, actor.name].join(' ');
}

function dateText(date: Date): string {
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');
}

function page(lang: CertRaLanguage, title: string, sealMeta: string, body: string): string {
  return (
    `<!DOCTYPE html>\n<html lang="${lang}"><head><meta charset="utf-8">${sealMeta}<title>${escapeHtml(title)}</title></head>\n` +
    `<body><h1>${escapeHtml(title)}</h1>\n${body}\n</body></html>`
  );
}

function paragraphs(...lines: string[]): string {
  return lines.map((line) => `<p>${line}</p>`).join('\n');
}

function items(...lines: string[]): string {
  return `<ol>\n${lines.map((line) => `<li>${line}</li>`).join('\n')}\n</ol>`;
}

export interface CertificateContractTextInput {
  readonly dn: string;
  readonly subject: EhealthDn;
  readonly signer: Actor;
  readonly signerSsin: string;
  readonly environment: Environment;
  readonly validityMonths: number;
  readonly replacementMonths: number;
  readonly issuedAt: Date;
  readonly validUntil: Date;
}

const CERTIFICATE_TITLES: Record<CertRaLanguage, string> = {
  fr: 'Contrat de demande d’un certificat eHealth',
  nl: 'Contract voor de aanvraag van een eHealth-certificaat',
  en: 'eHealth certificate request contract',
};

const ENVIRONMENT_NAMES: Record<CertRaLanguage, Record<Environment, string>> = {
  fr: { acceptance: 'acceptation', production: 'production' },
  nl: { acceptance: 'acceptatie', production: 'productie' },
  en: { acceptance: 'acceptance', production: 'production' },
};

export function certificateContractTexts(input: CertificateContractTextInput, sealMeta: string): LocalizedText[] {
  const signer = `<strong>${escapeHtml(personName(input.signer))}</strong> (${escapeHtml(input.signerSsin)})`;
  const dn = `<code>${escapeHtml(input.dn)}</code>`;
  const holder = `<strong>${escapeHtml(input.subject.name)}</strong>, ${escapeHtml(input.subject.type)} ${escapeHtml(input.subject.id)}${
    input.subject.applicationId ? `, application ${escapeHtml(input.subject.applicationId)}` : ''
  }`;
  const months = String(input.validityMonths);
  const renewal = String(input.replacementMonths);
  const issued = escapeHtml(dateText(input.issuedAt));
  const until = escapeHtml(dateText(input.validUntil));
  const bodies: Record<CertRaLanguage, string> = {
    fr:
      paragraphs(
        `Le soussigné ${signer} demande à la plate-forme eHealth un certificat d’authentification eHealth (environnement ${ENVIRONMENT_NAMES.fr[input.environment]}) au nom de ${holder}, avec le nom distinctif ${dn}.`,
        'En signant ce contrat avec sa carte d’identité électronique, le soussigné déclare et s’engage à ce qui suit :',
      ) +
      '\n' +
      items(
        'il est la personne désignée ci-dessus ou est habilité à demander et gérer les certificats eHealth de l’organisation (représentant légal ou gestionnaire de certificats désigné par celui-ci) ;',
        'la clé privée a été générée localement et reste sous son contrôle exclusif, protégée par un mot de passe ; elle n’est jamais transmise à des tiers ;',
        'le certificat et la clé de chiffrement (ETK) associée ne sont utilisés que pour les services de la plate-forme eHealth, au nom du titulaire désigné ;',
        'il révoque immédiatement le certificat en cas de perte, de compromission de la clé, ou lorsque son habilitation prend fin ;',
        `le certificat est valable ${months} mois ; il peut être remplacé pendant les ${renewal} derniers mois de sa validité, aucune prolongation n’étant possible ;`,
        'la plate-forme eHealth peut révoquer le certificat en cas d’usage abusif ; les données de contact sont traitées pour la gestion du certificat.',
      ) +
      '\n' +
      paragraphs(`Contrat émis le ${issued}, à signer et renvoyer avant le ${until}.`),
    nl:
      paragraphs(
        `Ondergetekende ${signer} vraagt het eHealth-platform een eHealth-authenticatiecertificaat aan (omgeving ${ENVIRONMENT_NAMES.nl[input.environment]}) op naam van ${holder}, met de distinguished name ${dn}.`,
        'Door dit contract met zijn elektronische identiteitskaart te ondertekenen, verklaart en verbindt ondergetekende zich tot het volgende:',
      ) +
      '\n' +
      items(
        'hij is de hierboven vermelde persoon, of is gemachtigd om de eHealth-certificaten van de organisatie aan te vragen en te beheren (wettelijk vertegenwoordiger of door hem aangeduide certificaatbeheerder);',
        'de private sleutel werd lokaal aangemaakt en blijft onder zijn uitsluitende controle, beschermd door een wachtwoord; hij wordt nooit aan derden doorgegeven;',
        'het certificaat en de bijhorende encryptiesleutel (ETK) worden enkel gebruikt voor de diensten van het eHealth-platform, op naam van de vermelde houder;',
        'hij herroept het certificaat onmiddellijk bij verlies, bij compromittering van de sleutel, of wanneer zijn machtiging eindigt;',
        `het certificaat is ${months} maanden geldig; het kan vervangen worden tijdens de laatste ${renewal} maanden van zijn geldigheid, een verlenging is niet mogelijk;`,
        'het eHealth-platform kan het certificaat herroepen bij misbruik; de contactgegevens worden verwerkt voor het beheer van het certificaat.',
      ) +
      '\n' +
      paragraphs(`Contract uitgegeven op ${issued}, te ondertekenen en terug te sturen vóór ${until}.`),
    en:
      paragraphs(
        `The undersigned ${signer} requests from the eHealth platform an eHealth authentication certificate (${ENVIRONMENT_NAMES.en[input.environment]} environment) in the name of ${holder}, with the distinguished name ${dn}.`,
        'By signing this contract with their electronic identity card, the undersigned declares and undertakes that:',
      ) +
      '\n' +
      items(
        'they are the person named above, or are authorised to request and manage the eHealth certificates of the organisation (legal representative, or certificate manager designated by the legal representative);',
        'the private key was generated locally and stays under their sole control, protected by a password; it is never handed to anyone;',
        'the certificate and its encryption token (ETK) are used only for the services of the eHealth platform, in the name of the holder named above;',
        'they revoke the certificate at once if the key is lost or compromised, or when their authorisation ends;',
        `the certificate is valid for ${months} months; it may be replaced during the last ${renewal} months of its validity, and is never extended;`,
        'the eHealth platform may revoke the certificate in case of misuse; the contact data is processed to manage the certificate.',
      ) +
      '\n' +
      paragraphs(`Contract issued on ${issued}, to be signed and returned before ${until}.`),
  };
  return CERTRA_LANGUAGES.map((lang) => ({ lang, text: page(lang, CERTIFICATE_TITLES[lang], sealMeta, bodies[lang]) }));
}

export interface RevocationContractTextInput {
  readonly dn: string;
  readonly publicKeyIdentifier: string;
  readonly reason: RevocationReason;
  readonly signer: Actor;
  readonly signerSsin: string;
  readonly issuedAt: Date;
  readonly validUntil: Date;
}

const REVOCATION_TITLES: Record<CertRaLanguage, string> = {
  fr: 'Contrat de révocation d’un certificat eHealth',
  nl: 'Contract voor de herroeping van een eHealth-certificaat',
  en: 'eHealth certificate revocation contract',
};

const REASONS: Record<CertRaLanguage, Record<RevocationReason, string>> = {
  fr: {
    keyCompromise: 'compromission de la clé privée',
    affiliationChanged: 'changement d’affiliation',
    superseded: 'certificat remplacé',
    cessationOfOperation: 'cessation d’activité',
  },
  nl: {
    keyCompromise: 'compromittering van de private sleutel',
    affiliationChanged: 'gewijzigde affiliatie',
    superseded: 'certificaat vervangen',
    cessationOfOperation: 'stopzetting van de activiteit',
  },
  en: {
    keyCompromise: 'private key compromise',
    affiliationChanged: 'affiliation changed',
    superseded: 'certificate superseded',
    cessationOfOperation: 'cessation of operation',
  },
};

export function revocationContractTexts(input: RevocationContractTextInput, sealMeta: string): LocalizedText[] {
  const signer = `<strong>${escapeHtml(personName(input.signer))}</strong> (${escapeHtml(input.signerSsin)})`;
  const dn = `<code>${escapeHtml(input.dn)}</code>`;
  const key = `<code>${escapeHtml(input.publicKeyIdentifier)}</code>`;
  const issued = escapeHtml(dateText(input.issuedAt));
  const until = escapeHtml(dateText(input.validUntil));
  const bodies: Record<CertRaLanguage, string> = {
    fr: paragraphs(
      `Le soussigné ${signer} demande la révocation du certificat eHealth ${dn} (identifiant de clé publique ${key}) pour le motif suivant : <strong>${escapeHtml(REASONS.fr[input.reason])}</strong>.`,
      'La révocation est immédiate et définitive. La clé de chiffrement (ETK) associée au certificat est révoquée en même temps et n’est plus publiée ; les messages chiffrés pour elle ne pourront plus être envoyés.',
      `Contrat émis le ${issued}, à signer et renvoyer avant le ${until}.`,
    ),
    nl: paragraphs(
      `Ondergetekende ${signer} vraagt de herroeping van het eHealth-certificaat ${dn} (publieke-sleutelidentificatie ${key}) om de volgende reden: <strong>${escapeHtml(REASONS.nl[input.reason])}</strong>.`,
      'De herroeping is onmiddellijk en definitief. De encryptiesleutel (ETK) van het certificaat wordt tegelijk herroepen en niet langer gepubliceerd; er kunnen geen berichten meer voor versleuteld worden.',
      `Contract uitgegeven op ${issued}, te ondertekenen en terug te sturen vóór ${until}.`,
    ),
    en: paragraphs(
      `The undersigned ${signer} requests the revocation of the eHealth certificate ${dn} (public key identifier ${key}) for the following reason: <strong>${escapeHtml(REASONS.en[input.reason])}</strong>.`,
      'The revocation is immediate and final. The encryption token (ETK) of the certificate is revoked at the same time and no longer published; no message can be encrypted for it any more.',
      `Contract issued on ${issued}, to be signed and returned before ${until}.`,
    ),
  };
  return CERTRA_LANGUAGES.map((lang) => ({ lang, text: page(lang, REVOCATION_TITLES[lang], sealMeta, bodies[lang]) }));
}
