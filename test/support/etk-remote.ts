import { NS } from '../../src/soap/namespaces.js';
import { childElements, descendantsNamed, parseXmlStrict, textOf, type Element } from '../../src/xml/parse.js';
import { expectValidAgainstBothSchemaSets } from './schemas.js';

/** EtkRA calls to a server reached by any means (child process, other platform): status and response element. */
export async function callEtkRaAt(server: { etkRa(envelope: string): Promise<string> }, envelope: string): Promise<{ statusCode: string; response: Element }> {
  const body = await server.etkRa(envelope);
  expectValidAgainstBothSchemaSets(body);
  const response = childElements(descendantsNamed(parseXmlStrict(body), NS.soap11, 'Body')[0]!)[0]!;
  return { statusCode: descendantsNamed(response, NS.commonsCoreV2, 'StatusCode')[0]?.getAttribute('Value') ?? '', response };
}

export function etkRaTextOf(result: { response: Element }, localName: string): string | undefined {
  const [element] = descendantsNamed(result.response, NS.etkraProtocolV2, localName);
  return element ? textOf(element) : undefined;
}
