import { CA_CONFIG_FILE_NAME, initializeCa, type KeyCustodyChoice } from '../../ca/hierarchy/ca-init.js';
import { defineStandaloneCommand, UsageError, type StandaloneCommand } from '../command.js';

/**
 * `ca:init`: the production CA set-up (src/ca/hierarchy/ca-init.ts). Runs without the platform: there is no CA or
 * database to open yet. Secrets (passphrase, PIN) are named by environment variable or file, never given as values.
 */
export const caInitCommand = defineStandaloneCommand({
  name: 'ca:init',
  standalone: true,
  summary: 'set up a production CA: keys on a PKCS#11 token or in encrypted files, certificates, CA_CONFIG_FILE',
  details: [
    'Makes the keys (RSA for the CAs and signers, EC P-256 for the audit key) and issues: the root (or, with --root',
    'external, a CSR for the issuing CA that an external root certifies), the issuing CA, the ETK-RA signer, the',
    'trusted-list signer; the OCSP responders get keys (their certificates are issued by the service). Writes into',
    `--dir: the certificates, the key files (file custody), ${CA_CONFIG_FILE_NAME} (CA_CONFIG_FILE) last, and`,
    'production.env with the settings to give the service (ENVIRONMENT, CA_CONFIG_FILE, CA_PUBLICATION_URL, AUDIT_KEY).',
    '',
    'Idempotent: a directory whose configuration loads is reported and left alone. Never overwrites: a directory that',
    'holds anything else, or a token with private keys already under the labels it would use, is refused.',
    '',
    'External root: the first run writes issuing.csr.pem; have it signed, then run again with --root external',
    '--root-certificate and --issuing-certificate. The root key then stays outside the platform.',
    '',
    'Examples:',
    '  SoftHSM / HSM:  CA_PIN=… npm run admin -- ca:init --dir /etc/ehealth/ca --keys pkcs11 \\',
    '                    --pkcs11-module /usr/lib/softhsm/libsofthsm2.so --token "eHealth CA" --pin-env CA_PIN \\',
    '                    --publication-url http://crl.example.be',
    '  files:          CA_KEY_PASSPHRASE=… npm run admin -- ca:init --dir /etc/ehealth/ca --keys file \\',
    '                    --passphrase-env CA_KEY_PASSPHRASE --publication-url http://crl.example.be',
  ].join('\n'),
  options: {
    dir: {
      type: 'string',
      required: true,
      placeholder: 'DIR',
      description: 'directory to create (or an empty one) for the certificates and the configuration',
    },
    'publication-url': {
      type: 'string',
      required: true,
      placeholder: 'URL',
      description: 'http base URL where CRLs and CA certificates are published (CA_PUBLICATION_URL; in every certificate)',
    },
    keys: { type: 'string', default: 'file', placeholder: 'file|pkcs11', description: 'key custody' },
    'passphrase-env': { type: 'string', placeholder: 'VAR', description: 'file keys: environment variable holding the passphrase' },
    'passphrase-file': { type: 'string', placeholder: 'FILE', description: 'file keys: file holding the passphrase' },
    'pkcs11-module': { type: 'string', placeholder: 'PATH', description: 'pkcs11 keys: the PKCS#11 module (.so)' },
    token: { type: 'string', placeholder: 'LABEL', description: 'pkcs11 keys: token label' },
    slot: { type: 'string', placeholder: 'ID', description: 'pkcs11 keys: slot id (instead of --token)' },
    'pin-env': { type: 'string', placeholder: 'VAR', description: 'pkcs11 keys: environment variable holding the user PIN' },
    'pin-file': { type: 'string', placeholder: 'FILE', description: 'pkcs11 keys: file holding the user PIN' },
    'key-label-prefix': { type: 'string', default: 'ehealth-', placeholder: 'PREFIX', description: 'pkcs11 keys: prefix of the key labels (CKA_LABEL)' },
    root: {
      type: 'string',
      default: 'self-signed',
      placeholder: 'self-signed|external',
      description: 'make the root here, or have an external root certify the issuing CA',
    },
    'offline-root': { type: 'boolean', description: 'self-signed root: keep its key out of the configuration (the service cannot use it)' },
    'root-certificate': { type: 'string', placeholder: 'FILE', description: 'external root, second run: the root certificate' },
    'issuing-certificate': { type: 'string', placeholder: 'FILE', description: 'external root, second run: the issuing CA certificate it issued' },
    country: { type: 'string', default: 'BE', placeholder: 'CC', description: 'C of the CA names' },
    organization: { type: 'string', default: 'Federal Government', placeholder: 'O', description: 'O of the CA names' },
    'organizational-unit': { type: 'string', default: 'eHealth-platform Belgium', placeholder: 'OU', description: 'OU of the CA names ("" for none)' },
    'root-cn': { type: 'string', default: 'eHealth Root CA', placeholder: 'CN', description: 'CN of the root' },
    'issuing-cn': { type: 'string', default: 'eHealth Issuing CA', placeholder: 'CN', description: 'CN of the issuing CA' },
    'tsl-signer-cn': { type: 'string', default: 'eHealth Trust List Signer', placeholder: 'CN', description: 'CN of the trusted-list signer' },
    'ca-rsa-bits': { type: 'string', default: '4096', placeholder: 'BITS', description: 'RSA size of the root and issuing CA keys (3072 or 4096)' },
  },
  async run(context, options, out) {
    const custody = custodyOf(options);
    if (!['self-signed', 'external'].includes(options.root)) throw new UsageError('--root must be self-signed or external');
    if (options.root === 'external' && options['offline-root'])
      throw new UsageError('--offline-root is for a self-signed root (an external root is offline by nature)');
    if (options.root !== 'external' && (options['root-certificate'] || options['issuing-certificate'])) {
      throw new UsageError('--root-certificate and --issuing-certificate go with --root external');
    }
    if (Boolean(options['root-certificate']) !== Boolean(options['issuing-certificate'])) {
      throw new UsageError('--root-certificate and --issuing-certificate go together');
    }
    if (!/^http:\/\/[^/\s]+$/.test(options['publication-url'])) {
      throw new UsageError('--publication-url must be a plain http base URL without a path (CRLs and CA certificates are fetched over http)');
    }
    if (!['3072', '4096'].includes(options['ca-rsa-bits'])) throw new UsageError('--ca-rsa-bits must be 3072 or 4096');
    if (!/^[A-Z]{2}$/.test(options.country)) throw new UsageError('--country must be two capital letters (ISO 3166)');
    const outcome = await initializeCa({
      directory: options.dir,
      custody,
      root: options.root as 'self-signed' | 'external',
      offlineRoot: options['offline-root'],
      ...(options['root-certificate'] ? { externalRootCertificate: options['root-certificate'] } : {}),
      ...(options['issuing-certificate'] ? { externalIssuingCertificate: options['issuing-certificate'] } : {}),
      publicationUrl: options['publication-url'],
      names: {
        country: options.country,
        organization: options.organization,
        ...(options['organizational-unit'] ? { organizationalUnit: options['organizational-unit'] } : {}),
        rootCommonName: options['root-cn'],
        issuingCommonName: options['issuing-cn'],
        tslSignerCommonName: options['tsl-signer-cn'],
      },
      caRsaBits: Number(options['ca-rsa-bits']),
      now: context.now(),
      env: context.env,
    });
    switch (outcome.state) {
      case 'already-initialised':
        out(`already initialised: ${outcome.configFile} loads (keys open and match their certificates); nothing changed`);
        return;
      case 'awaiting-root-certificate':
        out(`issuing CA key made; its certificate request is ${outcome.csrFile}`);
        out('have the external root sign it (a CA certificate with keyUsage keyCertSign and cRLSign), then run:');
        out(`  ${'npm run admin --'} ca:init --dir ${options.dir} --root external --publication-url ${options['publication-url']} \\`);
        out('    --root-certificate ROOT.pem --issuing-certificate ISSUING.pem');
        return;
      case 'created':
        out(`CA set up: ${outcome.configFile}`);
        for (const key of outcome.keys) out(`  ${key.role.padEnd(36)}${key.reference}`);
        out(`the service's settings are in ${outcome.envFile} (no secret is written there)`);
        out(
          'before the first start, also set what that file lists as still to set: at least the eID CAs (EID_SIGNATURE_CA_FILES, EID_AUTHENTICATION_CA_FILES)',
        );
        return;
    }
  },
}) satisfies StandaloneCommand;

type CaInitOptions = Parameters<typeof caInitCommand.run>[1];

function custodyOf(options: CaInitOptions): KeyCustodyChoice {
  const fileOptions = ['passphrase-env', 'passphrase-file'] as const;
  const tokenOptions = ['pkcs11-module', 'token', 'slot', 'pin-env', 'pin-file'] as const;
  const given = (names: readonly (keyof CaInitOptions)[]) => names.filter((name) => options[name] !== undefined);
  if (options.keys === 'file') {
    if (given(tokenOptions).length > 0) throw new UsageError(`--${given(tokenOptions)[0]} is for --keys pkcs11`);
    if (given(fileOptions).length !== 1) throw new UsageError('file keys need exactly one of --passphrase-env or --passphrase-file');
    return options['passphrase-env']
      ? { kind: 'file', passphraseEnv: options['passphrase-env'] }
      : { kind: 'file', passphraseFile: options['passphrase-file']! };
  }
  if (options.keys !== 'pkcs11') throw new UsageError('--keys must be file or pkcs11');
  if (given(fileOptions).length > 0) throw new UsageError(`--${given(fileOptions)[0]} is for --keys file`);
  if (!options['pkcs11-module']) throw new UsageError('pkcs11 keys need --pkcs11-module');
  if ((options.token === undefined) === (options.slot === undefined)) throw new UsageError('pkcs11 keys need exactly one of --token or --slot');
  if ((options['pin-env'] === undefined) === (options['pin-file'] === undefined))
    throw new UsageError('pkcs11 keys need exactly one of --pin-env or --pin-file');
  if (options.slot !== undefined && !/^\d+$/.test(options.slot)) throw new UsageError('--slot must be a slot id (a whole number)');
  if (!/^[\w.-]{1,32}$/.test(options['key-label-prefix'])) throw new UsageError('--key-label-prefix: letters, digits, ".", "_" and "-" (at most 32)');
  return {
    kind: 'pkcs11',
    labelPrefix: options['key-label-prefix'],
    module: options['pkcs11-module'],
    ...(options.token !== undefined ? { tokenLabel: options.token } : { slot: options.slot! }),
    ...(options['pin-env'] !== undefined ? { pinEnv: options['pin-env'] } : { pinFile: options['pin-file']! }),
  };
}
