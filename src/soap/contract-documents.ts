import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeAttribute } from '../xml/builder.js';

/**
 * Serves our WSDL and XSD files the JAX-WS way: GET <endpoint>?wsdl and GET <endpoint>?xsd=<file>, with every
 * schemaLocation and soap:address rewritten to absolute URLs on the caller's base, so that zeep, SoapUI and
 * node-soap can import a service from its URL alone. Files are read once, at start-up.
 */
export class ContractDocuments {
  private readonly wsdls = new Map<string, string>();
  private readonly xsds = new Map<string, string>();

  constructor(
    readonly wsdlDirectory: string,
    readonly xsdDirectory: string,
  ) {
    for (const file of readdirSync(xsdDirectory)) if (file.endsWith('.xsd')) this.xsds.set(file, readFileSync(join(xsdDirectory, file), 'utf8'));
  }

  wsdl(file: string, endpointUrl: string): string {
    let text = this.wsdls.get(file);
    if (text === undefined) {
      text = readFileSync(join(this.wsdlDirectory, file), 'utf8');
      this.wsdls.set(file, text);
    }
    return this.rewrite(text, endpointUrl).replace(
      /(<(?:[A-Za-z_][\w.-]*:)?address\b[^>]*\blocation=")[^"]*(")/g,
      (_match, before: string, after: string) => `${before}${escapeAttribute(endpointUrl)}${after}`,
    );
  }

  /** undefined when no such schema is published (only files of xsd/ are served). */
  xsd(file: string, endpointUrl: string): string | undefined {
    const text = this.xsds.get(file);
    return text === undefined ? undefined : this.rewrite(text, endpointUrl);
  }

  xsdFiles(): string[] {
    return [...this.xsds.keys()].sort();
  }

  private rewrite(text: string, endpointUrl: string): string {
    return text.replace(/(\bschemaLocation=")([^"]+)(")/g, (match, before: string, location: string, after: string) => {
      const file = location.split('/').pop()!;
      if (!this.xsds.has(file)) return match;
      return `${before}${escapeAttribute(`${endpointUrl}?xsd=${encodeURIComponent(file)}`)}${after}`;
    });
  }
}
