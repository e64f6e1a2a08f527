import { Module } from 'graphene-pk11';
import pino from 'pino';
import { generateTokenKeyPair, openPkcs11KeySigner, type Pkcs11KeySigner } from '../ca/keys/pkcs11-key.js';
import { createKeyObjectSigner } from '../ca/keys/key-signer.js';
import { generatePrivateKey } from '../ca/keys/file-key.js';
import { createSoftHsmToken, softhsmUtil, type SoftHsmToken } from '../../test/support/softhsm.js';
import { checkHealth } from './health.js';

/**
 * /health's report on SoftHSM: a key on a token is probed without signing (session logged in, key present), a session
 * the token dropped is reopened, and a token that went away is reported unreachable — by name, with the reason in the
 * log and no PIN anywhere.
 */
describe('health report of the signing keys', () => {
  let token: SoftHsmToken;
  let signer: Pkcs11KeySigner | undefined;
  const env = { ...process.env, HEALTH_PIN: '4321' };
  const logged: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(line) });
  const fileKey = { name: 'ETK-RA signer', signer: createKeyObjectSigner(generatePrivateKey('RSA', 2048), 'file key') };
  const ping = async () => undefined;

  beforeAll(async () => {
    token = await createSoftHsmToken({ label: 'health-test', pin: '4321' });
    await generateTokenKeyPair(
      { module: token.modulePath, tokenLabel: token.label, pinEnv: 'HEALTH_PIN' },
      { algorithm: 'RSA', keyId: '0a', keyLabel: 'issuing' },
      env,
    );
    signer = await openPkcs11KeySigner({ module: token.modulePath, tokenLabel: token.label, pinEnv: 'HEALTH_PIN', keyId: '0a' }, env);
  }, 60_000);
  afterAll(async () => {
    await signer?.close();
    await token?.cleanup();
  });

  it('a reachable token and a file key: ok; a session the token dropped is reopened', async () => {
    const keys = [{ name: 'issuing CA', signer: signer! }, fileKey];
    expect(await checkHealth({ ping, keys, logger })).toEqual({
      status: 'ok',
      database: 'ok',
      keys: { 'issuing CA': { custody: 'pkcs11', status: 'ok' }, 'ETK-RA signer': { custody: 'file', status: 'ok' } },
    });
    // C_CloseAllSessions behind the signer's back (an HSM restart): the probe reconnects, and signing still works.
    const module = Module.load(token.modulePath);
    module.initialize();
    module.getSlots(0, true).closeAll();
    expect((await checkHealth({ ping, keys, logger })).status).toBe('ok');
    expect((await signer!.sign(Buffer.from('after'), 'SHA-256')).length).toBe(256);
  });

  it('a token gone and a database down: unavailable, named, reasons in the log only', async () => {
    await softhsmUtil(['--delete-token', '--token', token.label], { ...process.env, SOFTHSM2_CONF: token.configPath });
    const module = Module.load(token.modulePath);
    module.initialize();
    module.getSlots(0, true).closeAll();
    const report = await checkHealth({
      ping: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      },
      keys: [{ name: 'issuing CA', signer: signer! }, fileKey],
      logger,
    });
    expect(report).toEqual({
      status: 'unavailable',
      database: 'unreachable',
      keys: { 'issuing CA': { custody: 'pkcs11', status: 'unreachable' }, 'ETK-RA signer': { custody: 'file', status: 'ok' } },
    });
    const log = logged.join('');
    expect(log).toMatch(/"key":"issuing CA","reason":"PKCS#11: pkcs11:token=health-test;id=0a is not reachable: [^"]+"/);
    expect(log).toContain('health: the database does not answer');
    expect(log).not.toContain('4321');
  });
});
