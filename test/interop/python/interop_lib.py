"""Infrastructure of the Python interop client: step reporting, wire capture, signatures, PKI helpers.

Runs under Debian's /usr/bin/python3 (python3-zeep, python3-xmlsec, python3-lxml, python3-cryptography), never a
pyenv interpreter. Nothing here imports the project's TypeScript code or its signer: the point is an independent client.
"""
import base64
import datetime
import hashlib
import json
import os
import re
import subprocess
import time
import traceback
import urllib.error
import urllib.request
import uuid

import xmlsec
from lxml import etree
from zeep import Plugin
from zeep.exceptions import Fault, SignatureVerificationFailed
from zeep.transports import Transport
from zeep.wsse.signature import BinarySignature, _verify_envelope_with_key
from zeep.wsse.utils import WSU, get_security_header, get_timestamp

SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/'
DS = 'http://www.w3.org/2000/09/xmldsig#'
WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd'
WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd'
SOA = 'urn:be:fgov:ehealth:errors:soa:v1'
SUCCESS = 'urn:be:fgov:ehealth:2.0:status:Success'

SIGNATURE_METHODS = {'rsa-sha256': xmlsec.Transform.RSA_SHA256, 'rsa-sha1': xmlsec.Transform.RSA_SHA1}
DIGEST_METHODS = {'sha256': xmlsec.Transform.SHA256, 'sha1': xmlsec.Transform.SHA1}


# ---------------------------------------------------------------------------------------------------------------------
# Step reporting: one JSON line per step in the results file; the runner counts them.

class StepFailed(Exception):
    pass


class Step:
    def __init__(self, name, operation):
        self.name = name
        self.operation = operation
        self.notes = []

    def check(self, condition, message):
        if not condition:
            raise StepFailed(message)

    def note(self, text):
        self.notes.append(str(text))


class Reporter:
    """Runs steps in order. A step whose prerequisite failed is reported as FAILED ("blocked"), never skipped."""

    def __init__(self, client_name, results_path, engine):
        self.client = client_name
        self.engine = engine
        self.results = open(results_path, 'a', encoding='utf-8')
        self.outcome = {}
        self.current = None
        self.intent = 'valid'

    def step(self, name, operation=None, needs=(), intent='valid'):
        def decorate(fn):
            self.run(name, operation, needs, fn, intent)
            return fn
        return decorate

    def run(self, name, operation, needs, fn, intent='valid'):
        step = Step(name, operation)
        blocked = [n for n in needs if self.outcome.get(n) is not True]
        started = time.time()
        ok = False
        detail = ''
        if blocked:
            detail = 'blocked: prerequisite step(s) failed: ' + '; '.join(blocked)
        else:
            self.current = step
            self.intent = intent
            try:
                fn(step)
                ok = True
            except StepFailed as error:
                detail = str(error)
            except Fault as fault:
                detail = 'unexpected SOAP Fault: ' + describe_fault(fault)
            except SignatureVerificationFailed:
                detail = 'response signature did not verify (zeep SignatureVerificationFailed)'
            except Exception as error:  # noqa: BLE001 - every error is a failed step, reported with its cause
                detail = f'{type(error).__name__}: {error}'
                tb = traceback.format_exc(limit=6)
                step.note(tb.strip().splitlines()[-3:])
            finally:
                self.current = None
                self.intent = 'valid'
        self.outcome[name] = ok
        record = {
            'client': self.client, 'engine': self.engine, 'step': name, 'operation': operation, 'ok': ok,
            'detail': detail, 'notes': step.notes, 'seconds': round(time.time() - started, 2),
        }
        self.results.write(json.dumps(record) + '\n')
        self.results.flush()
        mark = 'PASS' if ok else 'FAIL'
        print(f'  [{mark}] {self.client} {name}' + (f' -- {detail}' if detail else ''), flush=True)
        return ok


def describe_fault(fault):
    code = soa_code(fault.detail) if fault.detail is not None else None
    return f'{fault.code} {code or ""} "{fault.message}"'.replace('  ', ' ')


def soa_code(detail):
    if detail is None:
        return None
    for element in detail.iter():
        if isinstance(element.tag, str) and etree.QName(element).localname == 'Code' and element.text:
            return element.text.strip()
    return None


# ---------------------------------------------------------------------------------------------------------------------
# Wire capture: every request and response as sent/received, with an index the runner validates against the XSDs.

class Recorder:
    def __init__(self, client_name, directory, reporter):
        self.client = client_name
        self.directory = directory
        self.reporter = reporter
        self.sequence = 0
        os.makedirs(directory, exist_ok=True)
        self.index = open(os.path.join(directory, 'index.jsonl'), 'a', encoding='utf-8')

    def record(self, address, request_bytes, status, response_bytes, content_type, intent=None):
        self.sequence += 1
        step = self.reporter.current.name if self.reporter.current else 'setup'
        slug = re.sub(r'[^A-Za-z0-9]+', '-', step).strip('-')[:60]
        base = f'{self.client}-{self.sequence:04d}-{slug}'
        request_file = base + '.request.xml'
        response_file = base + '.response.xml'
        with open(os.path.join(self.directory, request_file), 'wb') as f:
            f.write(request_bytes if isinstance(request_bytes, bytes) else request_bytes.encode('utf-8'))
        with open(os.path.join(self.directory, response_file), 'wb') as f:
            f.write(response_bytes or b'')
        self.index.write(json.dumps({
            'client': self.client, 'step': step, 'address': address, 'request': request_file, 'response': response_file,
            'status': status, 'contentType': content_type, 'intent': intent or self.reporter.intent,
        }) + '\n')
        self.index.flush()


class RecordingTransport(Transport):
    """zeep transport that records the exact bytes on the wire and can alter the final envelope (negative tests)."""

    def __init__(self, recorder, **kwargs):
        super().__init__(**kwargs)
        self.recorder = recorder
        self.mutate = None
        self.last_response = None

    def post_xml(self, address, envelope, headers):
        if self.mutate is not None:
            mutate, self.mutate = self.mutate, None
            envelope = mutate(envelope) or envelope
        message = etree.tostring(envelope, xml_declaration=False, encoding='utf-8')
        return self.post(address, message, headers)

    def post(self, address, message, headers):
        response = super().post(address, message, headers)
        self.last_response = response
        self.recorder.record(address, message, response.status_code, response.content, response.headers.get('content-type', ''))
        return response


class EnvelopedSigningPlugin(Plugin):
    """Signs the request element (the Body's child) right after zeep rendered it, like RaUtils.sign does."""

    def __init__(self):
        self.pending = None

    def egress(self, envelope, http_headers, operation, binding_options):
        if self.pending is not None:
            job, self.pending = self.pending, None
            request = envelope.find(f'{{{SOAP11}}}Body')[0]
            sign_enveloped(request, key=job['key'], certs=job['certs'], after=job.get('after'))
        return envelope, http_headers


def sign_enveloped(request, key, certs, signature_method='rsa-sha256', digest_method='sha256', after=None):
    """The connector's RA v2 signature: ds:Signature appended as the last child of the request element, Id="xmldsig-…",
    exc-c14n, one Reference to #<request/@Id> with transforms enveloped-signature then exc-c14n, X509Data = the chain."""
    request_id = request.get('Id')
    if not request_id:
        raise StepFailed('client: the request element has no Id to reference')
    for old in request.findall(f'{{{DS}}}Signature'):
        request.remove(old)
    signature = xmlsec.template.create(request, xmlsec.Transform.EXCL_C14N, SIGNATURE_METHODS[signature_method], ns='ds',
                                       name='xmldsig-' + str(uuid.uuid4()))
    request.append(signature)
    reference = xmlsec.template.add_reference(signature, DIGEST_METHODS[digest_method], uri='#' + request_id)
    xmlsec.template.add_transform(reference, xmlsec.Transform.ENVELOPED)
    xmlsec.template.add_transform(reference, xmlsec.Transform.EXCL_C14N)
    # An empty X509Data is filled by xmlsec with every certificate loaded into the key.
    x509_data = xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    signing_key = xmlsec.Key.from_file(key, xmlsec.KeyFormat.PEM)
    for cert in certs:
        signing_key.load_cert_from_file(cert, xmlsec.KeyFormat.PEM)
    context = xmlsec.SignatureContext()
    context.register_id(request, 'Id')
    context.key = signing_key
    context.sign(signature)
    carried = [c for c in x509_data if c.tag == f'{{{DS}}}X509Certificate']  # (findall misses nodes xmlsec added in C)
    if len(carried) != len(certs):
        raise StepFailed(f'client: X509Data carries {len(carried)} certificates, expected {len(certs)}')
    # Signer first, then its chain, as the connector's credential chain (KeyInfo is outside the signed content).
    wanted = [''.join(open(c, encoding='ascii').read().split('-----')[2].split()) for c in certs]
    by_value = {''.join(e.text.split()): e for e in carried}
    if set(by_value) != set(wanted):
        raise StepFailed('client: X509Data does not carry the given certificates')
    for element in carried:
        x509_data.remove(element)
    for value in wanted:
        x509_data.append(by_value[value])
    if after is not None:
        after(request)


class TimestampedBinarySignature(BinarySignature):
    """zeep's BinarySignature (BST + STR) with a wsu:Timestamp added first so that zeep signs it too (docs/wire-facts.md §4.3).
    verify() checks the response against the *server's* certificate, not ours (zeep's default is the client's own)."""

    def __init__(self, key, cert, verifier, signature_method='rsa-sha256', digest_method='sha256', created_offset=0, ttl=300):
        super().__init__(key, cert, signature_method=SIGNATURE_METHODS[signature_method], digest_method=DIGEST_METHODS[digest_method])
        self.verifier = verifier
        self.created_offset = created_offset
        self.ttl = ttl

    def apply(self, envelope, headers):
        created = datetime.datetime.utcnow() + datetime.timedelta(seconds=self.created_offset)
        get_security_header(envelope).append(WSU.Timestamp(
            WSU.Created(get_timestamp(created, zulu_timestamp=True)),
            WSU.Expires(get_timestamp(created + datetime.timedelta(seconds=self.ttl), zulu_timestamp=True))))
        return super().apply(envelope, headers)

    def verify(self, envelope):
        if self.verifier is not None:
            self.verifier(envelope)
        return envelope


# ---------------------------------------------------------------------------------------------------------------------
# Response signature (WS-Security) verification against the server certificate.

def response_signer_certificate(envelope):
    header = envelope.find(f'{{{SOAP11}}}Header')
    security = header.find(f'{{{WSSE}}}Security') if header is not None else None
    if security is None:
        raise StepFailed('the response carries no wsse:Security header (expected a signed response: SIGN_RESPONSES=true)')
    tokens = security.findall(f'{{{WSSE}}}BinarySecurityToken')
    if len(tokens) != 1:
        raise StepFailed(f'the response Security header has {len(tokens)} BinarySecurityToken(s), expected 1')
    der = base64.b64decode(''.join(tokens[0].text.split()))
    return der


def verify_response_signature(envelope, certificate_pem):
    """xmlsec verification with the given certificate (zeep's own routine), plus: the signed references must include
    the Body and the Timestamp of this envelope."""
    key = xmlsec.Key.from_memory(certificate_pem, xmlsec.KeyFormat.CERT_PEM, None)
    _verify_envelope_with_key(envelope, key)
    header = envelope.find(f'{{{SOAP11}}}Header')
    security = header.find(f'{{{WSSE}}}Security')
    signature = security.find(f'{{{DS}}}Signature')
    uris = {ref.get('URI') for ref in signature.iterfind(f'{{{DS}}}SignedInfo/{{{DS}}}Reference')}
    body = envelope.find(f'{{{SOAP11}}}Body')
    timestamp = security.find(f'{{{WSU_NS}}}Timestamp')
    if '#' + str(body.get(f'{{{WSU_NS}}}Id')) not in uris:
        raise StepFailed('the response signature does not cover the soap:Body')
    if timestamp is None or '#' + str(timestamp.get(f'{{{WSU_NS}}}Id')) not in uris:
        raise StepFailed('the response signature does not cover a wsu:Timestamp')


# ---------------------------------------------------------------------------------------------------------------------
# PKI helpers (openssl and cryptography; no project code).

def run(args, input_bytes=None, check=True):
    result = subprocess.run(args, input=input_bytes, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if check and result.returncode != 0:
        raise StepFailed(f'`{" ".join(args[:3])} …` failed: {result.stderr.decode(errors="replace").strip()[:400]}')
    return result


def pem(der, label='CERTIFICATE'):
    body = base64.encodebytes(der).decode().replace('\n', '')
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f'-----BEGIN {label}-----\n' + '\n'.join(lines) + f'\n-----END {label}-----\n'


def split_pem_bundle(path, directory, prefix):
    text = open(path, encoding='ascii').read()
    blocks = re.findall(r'-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n?', text, re.S)
    files = []
    for i, block in enumerate(blocks):
        out = os.path.join(directory, f'{prefix}-{i}.pem')
        with open(out, 'w', encoding='ascii') as f:
            f.write(block if block.endswith('\n') else block + '\n')
        files.append(out)
    return files


DN_TYPES_FOR_OPENSSL = {'C': 'C', 'O': 'O', 'OU': 'OU', 'CN': 'CN', 'L': 'L', 'ST': 'ST', 'SN': 'SN', 'GIVENNAME': 'GN',
                        'G': 'GN', 'SERIALNUMBER': 'serialNumber', 'EMAILADDRESS': 'emailAddress', 'E': 'emailAddress'}


def parse_dn(text):
    """RFC 4514 / Java X500Principal string → [(TYPE, value)] in string order (CN first). Handles \\-escapes (including
    the connector's `SSIN\\=…`), hex escapes and quoted values."""
    rdns, i, n = [], 0, len(text)
    while i < n:
        while i < n and text[i] in ' ,;+':
            i += 1
        if i >= n:
            break
        j = text.index('=', i)
        attr = text[i:j].strip().upper()
        i = j + 1
        while i < n and text[i] == ' ':
            i += 1
        value = []
        if i < n and text[i] == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == '\\':
                    i += 1
                value.append(text[i])
                i += 1
            i += 1
            while i < n and text[i] not in ',;+':
                i += 1
        else:
            raw = bytearray()
            while i < n and text[i] not in ',;+':
                if text[i] == '\\':
                    if i + 2 < n + 1 and re.match(r'[0-9A-Fa-f]{2}', text[i + 1:i + 3] or ''):
                        raw += bytes.fromhex(text[i + 1:i + 3])
                        i += 3
                        continue
                    i += 1
                raw += text[i].encode('utf-8')
                i += 1
            value = [raw.decode('utf-8').rstrip(' ')]
        rdns.append((attr, ''.join(value)))
    return rdns


def openssl_subject(dn_text):
    parts = []
    for attr, value in reversed(parse_dn(dn_text)):
        name = DN_TYPES_FOR_OPENSSL.get(attr)
        if not name:
            raise StepFailed(f'client: cannot map DN attribute {attr} of {dn_text!r} to openssl')
        escaped = value.replace('\\', '\\\\').replace('/', '\\/').replace('=', '\\=').replace('+', '\\+')
        parts.append(f'/{name}={escaped}')
    return ''.join(parts)


def normalised_dn(rdns):
    return sorted((attr.upper(), ' '.join(value.split()).lower()) for attr, value in rdns)


def x509_name_rdns(name):
    """cryptography Name → [(TYPE, value)] in RFC 4514 order."""
    short = {'countryName': 'C', 'organizationName': 'O', 'organizationalUnitName': 'OU', 'commonName': 'CN',
             'serialNumber': 'SERIALNUMBER', 'givenName': 'GIVENNAME', 'surname': 'SN', 'localityName': 'L',
             'stateOrProvinceName': 'ST', 'emailAddress': 'EMAILADDRESS'}
    return [(short.get(a.oid._name, a.oid.dotted_string), a.value) for a in reversed(list(name))]


def admin(bridge_url, args, timeout=120):
    """Runs an admin CLI command through the runner's bridge (the runner stops a PGlite-backed server around it)."""
    request = urllib.request.Request(bridge_url, data=json.dumps({'args': args}).encode(), headers={'content-type': 'application/json'})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        body = json.loads(error.read() or b'{}')
    if not body.get('ok'):
        raise StepFailed(f'admin CLI `{" ".join(args)}` failed: {body.get("output", "")[-600:]}')
    return body.get('output', '')


def sha1_hex(data):
    return hashlib.sha1(data).hexdigest().upper()
