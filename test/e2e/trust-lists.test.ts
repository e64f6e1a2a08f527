import { createHash } from 'node:crypto';
import { readAsConnector } from '../support/tsl-connector-reader.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { testEngine } from '../support/test-database.js';

/** The trusted lists over HTTP, where the connector's TSL updater fetches them (endpoint.tsl.* → <base>/tsl/). */
describe(`trusted lists over HTTP on ${testEngine}`, () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform();
  }, 60_000);
  afterAll(async () => t?.close());

  it.each(['transport', 'person', 'application'] as const)(
    'serves tsl-ehpbe-%s.xml and its .sha2 (hex SHA-256 of the exact bytes), ETag and 304',
    async (list) => {
      const xml = await t.app.inject({ method: 'GET', url: `/tsl/tsl-ehpbe-${list}.xml` });
      expect(xml.statusCode).toBe(200);
      expect(xml.headers['content-type']).toBe('application/vnd.etsi.tsl+xml');
      const sha2 = await t.app.inject({ method: 'GET', url: `/tsl/tsl-ehpbe-${list}.sha2` });
      expect(sha2.statusCode).toBe(200);
      expect(sha2.body).toBe(createHash('sha256').update(xml.rawPayload).digest('hex'));
      expect(xml.headers.etag).toBe(`"${sha2.body}"`);
      expect(xml.headers['cache-control']).toBe('public, max-age=300');
      const again = await t.app.inject({ method: 'GET', url: `/tsl/tsl-ehpbe-${list}.xml`, headers: { 'if-none-match': xml.headers.etag as string } });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
      const view = readAsConnector(list, xml.body);
      expect(view.nextUpdate!.getTime()).toBeGreaterThan(Date.now());
      expect(Object.values(view.keystores).every((certificates) => certificates.length > 0)).toBe(true);
    },
  );

  it('answers 404 for a list that does not exist', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/tsl/tsl-ehpbe-other.xml' })).statusCode).toBe(404);
  });
});
