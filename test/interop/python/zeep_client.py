#!/usr/bin/python3
"""Independent Python client of the interop suite (issue #6 §1, §4): zeep 4 in strict mode loads each service from its
?wsdl URL and drives the certificate and ETK lifecycle; python-xmlsec makes the RA v2 enveloped signatures; zeep's
BinarySignature makes the WS-Security ones; openssl does CSRs, CMS and CRLs.

usage: /usr/bin/python3 zeep_client.py CONFIG.json     (written by test/interop/run.mjs)
Every step prints PASS/FAIL and appends one JSON line to the results file; the runner counts them.
"""
import base64
import datetime
import json
import os
import re
import sys
import time
import urllib.request
import uuid

import xmlsec
import zeep
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree
from zeep import Settings, xsd
from zeep.exceptions import Fault, SignatureVerificationFailed

from interop_lib import (SOAP11, SUCCESS, EnvelopedSigningPlugin, Recorder, RecordingTransport, Reporter, StepFailed,
                         TimestampedBinarySignature, admin, normalised_dn, openssl_subject, parse_dn, pem, response_signer_certificate,
                         run, soa_code, split_pem_bundle, verify_response_signature, x509_name_rdns)

CLIENT = 'python-zeep'
ETEE_CORE = 'urn:be:fgov:ehealth:etee:commons:core:v2'
COMMONS_CORE_V2 = 'urn:be:fgov:ehealth:commons:core:v2'
# Public refusal codes (src/domain/errors.ts ERROR_CATALOGUE) and their public messages: a refusal must carry one of them.
REFUSALS = {
    'INVALID_SIGNATURE': 'The request signature is missing, malformed or does not verify',
    'UNTRUSTED_SIGNER': 'The signing certificate does not chain to a trusted authority, or is expired or revoked',
    'REQUEST_EXPIRED': 'IssueInstant is outside the accepted time window',
    'NOT_REPLACEABLE': 'A valid certificate already exists for this DN and is not in its replacement period',
}

cfg = json.load(open(sys.argv[1], encoding='utf-8'))
R = Reporter(CLIENT, cfg['results'], cfg['engine'])
recorder = Recorder(CLIENT, cfg['messages'], R)
transport = RecordingTransport(recorder, timeout=30, operation_timeout=60)
signer = EnvelopedSigningPlugin()
settings = Settings(strict=True, xml_huge_tree=False)
BASE = cfg['baseUrl']
WORK = cfg['workDir']
ROOT_PEM = cfg['rootCa']
ISSUING_PEM = cfg['issuingCa']
os.makedirs(WORK, exist_ok=True)
state = {}
clients = {}


def now(offset_seconds=0):
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(seconds=offset_seconds)


def hexid(data):
    return data.hex().upper()


def unhex(value):
    return bytes.fromhex(str(value).strip())


def request_id():
    return '_' + str(uuid.uuid4())


def call(service, operation, sign=None, mutate=None, wsse=None, issue_instant=None, **kwargs):
    """One zeep call. RA v2 requests get Id/IssueInstant; `sign` = python-xmlsec job for the enveloped signature."""
    client = clients[service]
    signer.pending = sign
    transport.mutate = mutate
    client.wsse = wsse
    try:
        if service not in ('EtkDepot', 'Kgss'):
            kwargs.setdefault('Id', request_id())
            kwargs.setdefault('IssueInstant', issue_instant or now())
            if sign is not None:
                kwargs.setdefault('Signature', xsd.SkipValue)
        return getattr(client.service, operation)(**kwargs)
    finally:
        signer.pending = None
        transport.mutate = None
        client.wsse = None


def raw_response():
    response = transport.last_response
    return etree.fromstring(response.content) if response is not None and response.content else None


def status_of_last():
    """(top StatusCode value, all codes and texts found in Status) of the last v2 response, read from the wire bytes."""
    doc = raw_response()
    status = doc.find(f'.//{{{COMMONS_CORE_V2}}}Status') if doc is not None else None
    if status is None:
        return None, ''
    top = status.find(f'{{{COMMONS_CORE_V2}}}StatusCode')
    texts = [' '.join(e.itertext()) for e in status.iter() if isinstance(e.tag, str)]
    values = [e.get('Value') for e in status.iter(f'{{{COMMONS_CORE_V2}}}StatusCode')]
    return (top.get('Value') if top is not None else None), ' | '.join(values + [t for t in texts if t.strip()][:1])


def expect_success(step, what):
    value, summary = status_of_last()
    step.check(value == SUCCESS, f'{what}: Status {value!r} (expected {SUCCESS}); {summary[:400]}')


def expect_refusal(step, code, certra):
    value, summary = status_of_last()
    step.check(value is not None, f'expected a business refusal {code} in a normal response, got no Status')
    step.check(value != SUCCESS, f'the request was ACCEPTED (Status Success), expected refusal {code}')
    step.check(code in summary or REFUSALS[code] in summary, f'refused, but without code {code}: {summary[:400]}')
    if certra:
        # The connector unmarshals every StatusDetail child as EteeStatusDetail (RaUtils.getErrorCodes).
        doc = raw_response()
        detail = doc.find(f'.//{{{COMMONS_CORE_V2}}}StatusDetail')
        step.check(detail is not None, 'CertRA refusal without StatusDetail: the technical connector would fail (NPE)')
        children = [c for c in detail if isinstance(c.tag, str)]
        step.check(children and all(c.tag == f'{{{ETEE_CORE}}}EteeStatusDetail' for c in children),
                   'CertRA StatusDetail must contain only etee:EteeStatusDetail elements')


def expect_fault(step, action, code):
    try:
        action()
    except Fault as fault:
        got = soa_code(fault.detail)
        step.check(got == code, f'SOAP Fault {fault.code} with code {got!r}, expected {code}: {fault.message}')
        step.check(transport.last_response.status_code == 500, f'HTTP {transport.last_response.status_code} for a Fault (SOAP 1.1 needs 500)')
        return
    raise StepFailed(f'the request was accepted; expected a SOAP Fault {code}')


def write(path, data, mode='wb'):
    with open(path, mode) as f:
        f.write(data)
    return path


def actor(ssin, first, last):
    return {'Id': [{'_value_1': ssin, 'Type': 'SSIN'}], 'FirstName': [first], 'Name': last}


def contact(first):
    return {'EmailPrivate': f'{first.lower()}@example.org', 'PhonePrivate': '+3220000000'}


def identity(name):
    directory = cfg['identities'][name]
    bundle = os.path.join(directory, 'chain.pem')
    chain = split_pem_bundle(bundle, WORK, f'{name}-eid-chain') if os.path.exists(bundle) else []  # a missing identity fails the steps using it
    return {
        'sig_key': os.path.join(directory, 'signature.key.pem'), 'sig_certs': [os.path.join(directory, 'signature.cert.pem')] + chain,
        'auth_key': os.path.join(directory, 'authentication.key.pem'), 'auth_certs': [os.path.join(directory, 'authentication.cert.pem')] + chain,
    }


def make_csr(prefix, dn_text):
    key_path = os.path.join(WORK, f'{prefix}.key.pem')
    csr_path = os.path.join(WORK, f'{prefix}.csr.der')
    run(['openssl', 'req', '-new', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-utf8', '-keyout', key_path,
         '-subj', openssl_subject(dn_text), '-outform', 'DER', '-out', csr_path])
    run(['openssl', 'req', '-verify', '-noout', '-inform', 'DER', '-in', csr_path])
    key = serialization.load_pem_private_key(open(key_path, 'rb').read(), None)
    return key_path, open(csr_path, 'rb').read(), key


def expected_pki(key):
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key()).digest


def fetch_certificate(step, pki, prefix):
    """getCertificate, polled while the CA has not delivered (CERT_NOT_YET_DELIVERED)."""
    deadline = time.time() + 30
    while True:
        response = call('CertRa', 'getCertificate', PublicKeyIdentifier=hexid(pki))
        value, summary = status_of_last()
        if value == SUCCESS and response.X509Certificate:
            break
        step.check('CERT_NOT_YET_DELIVERED' in summary and time.time() < deadline, f'getCertificate: {value} {summary[:300]}')
        time.sleep(1)
    chain = [bytes(c) for c in response.X509Certificate]
    files = [write(os.path.join(WORK, f'{prefix}-chain-{i}.pem'), pem(der), 'w') for i, der in enumerate(chain)]
    leaf = x509.load_der_x509_certificate(chain[0])
    last = x509.load_der_x509_certificate(chain[-1])
    step.check(len(chain) >= 2, f'getCertificate returned {len(chain)} certificate(s); expected the leaf then its intermediates')
    step.check(last.issuer != last.subject, 'the chain must exclude the root CA (last certificate is self-signed)')
    ski = leaf.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    step.check(ski == pki, f'leaf SubjectKeyIdentifier {ski.hex()} != PublicKeyIdentifier {pki.hex()}')
    verify = run(['openssl', 'verify', '-x509_strict', '-CAfile', ROOT_PEM, '-untrusted', files[1], files[0]], check=False)
    step.check(verify.returncode == 0, f'openssl verify of the issued chain failed: {verify.stdout.decode()} {verify.stderr.decode()}'[:400])
    return chain, files, leaf


def approve_request(step, pki):
    """The officer's decision on the manual validation queue (admin CLI through the runner's bridge)."""
    approve = next((c for c in cfg.get('adminCommands', []) if re.search(r'requests?:approve', c)), None)
    step.check(approve is not None, 'a request waits for manual validation and the admin CLI offers no requests:approve command '
                                    f'(commands: {", ".join(cfg.get("adminCommands", []))})')
    step.note(admin_cli([approve, '--pki', pki.hex().upper(), '--note', 'interop suite']))


def expect_automatic(step, response, why):
    step.check(response.AutomaticallyValidated is True, f'AutomaticallyValidated={response.AutomaticallyValidated}, expected true ({why})')


def admin_cli(args):
    output = admin(cfg['adminBridge'], args)
    transport.session.close()  # a PGlite-backed server was restarted around the command: drop kept-alive connections
    return output


def wsse_for(ident, method, digest, **kwargs):
    return TimestampedBinarySignature(ident['key'], ident['cert'], verifier=verify_depot_response, signature_method=method, digest_method=digest, **kwargs)


def verify_depot_response(envelope):
    """The response signature must verify with the server's certificate, which must chain to our platform root.
    SOAP Faults are not signed by the service (zeep calls verify() before it looks for a Fault): those are let through."""
    if envelope.find(f'{{{SOAP11}}}Body/{{{SOAP11}}}Fault') is not None:
        return
    der = response_signer_certificate(envelope)
    server_pem = write(os.path.join(WORK, 'server-signer.pem'), pem(der), 'w')
    result = run(['openssl', 'verify', '-CAfile', ROOT_PEM, '-untrusted', ISSUING_PEM, '-purpose', 'any', server_pem], check=False)
    if result.returncode != 0:
        raise StepFailed(f'the response signer certificate does not chain to the platform root: {result.stdout.decode()}{result.stderr.decode()}'[:300])
    own = state.get('own_wss_cert')
    if own is not None and own == der:
        raise StepFailed('the response is signed with the client certificate, not the server one')
    verify_response_signature(envelope, pem(der).encode())
    state['server_signer_der'] = der
    if own is not None:
        try:  # the check must be able to fail: the same signature must NOT verify under another certificate
            verify_response_signature(envelope, pem(own).encode())
        except SignatureVerificationFailed:
            pass
        else:
            raise StepFailed('client-side check is broken: the response also verified under the client certificate')


# ======================================================================================================================
print(f'python client: {BASE} ({cfg["engine"]})', flush=True)

EXPECTED_OPERATIONS = {
    'CertRa': {'generateContract', 'generateCertificate', 'getCertificate', 'generateRevocationContract', 'revoke', 'getActorQualities',
               'getGenericOrganizationTypes', 'getExistingApplicationIds', 'getCertificateInfoForCitizen',
               'getCertificateInfoForAuthenticationCertificate', 'submitCSRForForeigner'},
    'EtkRa': {'startETKRegistration', 'completeETKRegistration', 'activateETK'},
    'EtkDepot': {'GetEtk'},
    'Kgss': {'GetNewKey', 'GetKey'},
}
for service, path in [('CertRa', '/CertRa/v2'), ('EtkRa', '/EtkRa/v2'), ('EtkDepot', '/EtkDepot/v1'), ('Kgss', '/Kgss/v1')]:
    @R.step(f'load {path}?wsdl (zeep strict)')
    def _(s, service=service, path=path):
        client = zeep.Client(BASE + path + '?wsdl', transport=transport, settings=settings, plugins=[signer])
        ports = [p for svc in client.wsdl.services.values() for p in svc.ports.values()]
        s.check(len(ports) == 1, f'{len(ports)} ports in the WSDL')
        operations = set(ports[0].binding._operations)
        s.check(operations == EXPECTED_OPERATIONS[service], f'operations {sorted(operations)}')
        address = ports[0].binding_options['address']
        s.check(address == BASE + path, f'soap:address {address} is not the URL the WSDL was fetched from')
        clients[service] = client

WSDL = {'CertRa': 'load /CertRa/v2?wsdl (zeep strict)', 'EtkRa': 'load /EtkRa/v2?wsdl (zeep strict)', 'EtkDepot': 'load /EtkDepot/v1?wsdl (zeep strict)',
        'Kgss': 'load /Kgss/v1?wsdl (zeep strict)'}
main = cfg['persons']['main']
ME = identity('main')
ORG = cfg['organisation']


@R.step('getGenericOrganizationTypes', 'getGenericOrganizationTypes', needs=[WSDL['CertRa']])
def _(s):
    response = call('CertRa', 'getGenericOrganizationTypes', _value_1=xsd.SkipValue)
    expect_success(s, 'getGenericOrganizationTypes')
    types = [str(t.IdentifierType) for t in response.OrganizationType]
    s.check(types, 'no OrganizationType listed')
    s.check(ORG['type'] in types, f'{ORG["type"]} is not among the organisation types {types}')
    for t in response.OrganizationType:
        s.check(t.Name and t.Name.Value, f'organisation type {t.IdentifierType} has no Name')
        if t.ValidationRegEx:
            re.compile(t.ValidationRegEx)


@R.step('getActorQualities (eID Authentication signature)', 'getActorQualities', needs=[WSDL['CertRa']])
def _(s):
    response = call('CertRa', 'getActorQualities', sign={'key': ME['auth_key'], 'certs': ME['auth_certs']},
                    SSIN={'_value_1': main['ssin'], 'Type': 'SSIN'})
    expect_success(s, 'getActorQualities')
    s.check(isinstance(response.NaturalPersonAuthorization, bool), 'NaturalPersonAuthorization missing')
    if cfg['setup'].get('mandate'):
        ids = [str(o.Identifier._value_1) for o in (response.OrganizationAuthorization or [])]
        s.check(ORG['id'] in ids, f'the mandated organisation {ORG["id"]} is not in OrganizationAuthorization {ids}')


def request_certificate(s, key_prefix, person, ident, application_id=None, organisation=None, refusal=None):
    """generateContract → openssl CSR with the returned DN → generateCertificate signed by the eID Signature key."""
    subject = {'Id': [{'_value_1': organisation['id'], 'Type': organisation['type']}], 'FirstName': [person['given']], 'Name': organisation['name']} \
        if organisation else actor(person['ssin'], person['given'], person['surname'])
    identifier = {'Actor': subject}
    if application_id:
        identifier['ApplicationId'] = application_id
    contract_response = call('CertRa', 'generateContract', ContactData=contact(person['given']),
                             Signer=actor(person['ssin'], person['given'], person['surname']), CertificateIdentifier=identifier)
    expect_success(s, 'generateContract')
    contract = contract_response.Contract
    s.check(contract is not None and contract.DN, 'generateContract returned no Contract/DN')
    s.check(contract.Text and contract.Text.Value and any('<' in (v._value_1 or '') for v in contract.Text.Value),
            'the contract Text holds no HTML document')
    rdns = parse_dn(contract.DN)
    wanted_id = f'{organisation["type"]}={organisation["id"]}' if organisation else f'SSIN={person["ssin"]}'
    for attr, value in [('C', 'BE'), ('O', 'Federal Government'), ('OU', 'eHealth-platform Belgium'), ('OU', wanted_id)]:
        s.check((attr, value) in rdns, f'contract DN {contract.DN!r} lacks {attr}={value}')
    cn = [v for a, v in rdns if a == 'CN']
    s.check(cn and cn[0].startswith(wanted_id), f'contract DN CN {cn} should start with {wanted_id}')
    key_path, csr_der, key = make_csr(key_prefix, contract.DN)
    response = call('CertRa', 'generateCertificate', sign={'key': ident['sig_key'], 'certs': ident['sig_certs']},
                    EHealthCSR={'ContactData': contact(person['given']), 'CSR': csr_der, 'Contract': contract})
    if refusal:
        expect_refusal(s, refusal, certra=True)
        return None
    expect_success(s, 'generateCertificate')
    pki = unhex(response.PublicKeyIdentifier)
    s.check(pki == expected_pki(key), f'PublicKeyIdentifier {pki.hex()} is not the SHA-1 of our subjectPublicKey ({expected_pki(key).hex()})')
    s.check(isinstance(response.AutomaticallyValidated, bool), 'AutomaticallyValidated missing')
    return {'contract': contract, 'key_path': key_path, 'key': key, 'pki': pki, 'response': response}


@R.step('generateContract + openssl CSR + generateCertificate (xmlsec enveloped signature, eID Signature key)', 'generateCertificate',
        needs=[WSDL['CertRa']])
def _(s):
    state['main'] = request_certificate(s, 'main-ehealth', main, ME)
    expect_automatic(s, state['main']['response'], 'own SSIN with an acceptance test case registered')


GEN = 'generateContract + openssl CSR + generateCertificate (xmlsec enveloped signature, eID Signature key)'


@R.step('getCertificate (chain verified with openssl)', 'getCertificate', needs=[GEN])
def _(s):
    chain, files, leaf = fetch_certificate(s, state['main']['pki'], 'main-ehealth')
    got = normalised_dn(x509_name_rdns(leaf.subject))
    s.check(got == normalised_dn(parse_dn(state['main']['contract'].DN)), f'issued subject {leaf.subject.rfc4514_string()} != contract DN')
    s.check(leaf.public_key().public_numbers() == state['main']['key'].public_key().public_numbers(), 'issued key is not the CSR key')
    gnutls = run(['certtool', '--verify', '--load-ca-certificate', ROOT_PEM, '--infile', write(os.path.join(WORK, 'main-bundle.pem'),
                  ''.join(open(f).read() for f in files), 'w')], check=False)
    s.check(gnutls.returncode == 0, f'certtool --verify: {gnutls.stdout.decode()[-300:]}')
    state['main'].update(chain=chain, chain_files=files, leaf=leaf)
    state['ehealth'] = {'key': state['main']['key_path'], 'certs': files, 'cert': files[0]}


GETCERT = 'getCertificate (chain verified with openssl)'


@R.step('getCertificateInfoForCitizen (eID Authentication signature)', 'getCertificateInfoForCitizen', needs=[GETCERT])
def _(s):
    response = call('CertRa', 'getCertificateInfoForCitizen', sign={'key': ME['auth_key'], 'certs': ME['auth_certs']})
    expect_success(s, 'getCertificateInfoForCitizen')
    mine = [i for i in (response.CertificateInfo or []) if unhex(i.PublicKeyIdentifier) == state['main']['pki']]
    s.check(len(mine) == 1, f'{len(mine)} CertificateInfo entries for our PublicKeyIdentifier')
    s.check(mine[0].AuthenticationCertificateStatus == 'VALID_ACTIVE', f'status {mine[0].AuthenticationCertificateStatus}')
    s.check(mine[0].ETKStatus == 'NOT_REQUESTED', f'ETKStatus {mine[0].ETKStatus} before any ETK registration')
    s.check(mine[0].CertificateEntity.EntityType == 'NaturalPerson', f'EntityType {mine[0].CertificateEntity.EntityType}')


@R.step('getCertificateInfoForAuthenticationCertificate (eHealth certificate signature)', 'getCertificateInfoForAuthenticationCertificate',
        needs=[GETCERT])
def _(s):
    response = call('CertRa', 'getCertificateInfoForAuthenticationCertificate', sign=state['ehealth'])
    expect_success(s, 'getCertificateInfoForAuthenticationCertificate')
    info = response.CertificateInfo
    s.check(unhex(info.PublicKeyIdentifier) == state['main']['pki'], 'CertificateInfo is not about the signing certificate')
    details = info.AuthenticationCertificateDetails
    s.check(details is not None, 'AuthenticationCertificateDetails missing for a delivered certificate')
    serial = state['main']['leaf'].serial_number
    written = details.SerialNumber.strip()
    # Decimal (as Java's BigInteger.toString()) or hex with optional colons: both identify the certificate.
    s.check(written == str(serial) or written.replace(':', '').lower().lstrip('0') == format(serial, 'x'),
            f'SerialNumber {written} is not the certificate serial {serial}')
    s.check(normalised_dn(parse_dn(details.DN)) == normalised_dn(x509_name_rdns(state['main']['leaf'].subject)), f'DN {details.DN}')
    s.check(info.AuthenticationCertificateStatus == 'VALID_ACTIVE', f'status {info.AuthenticationCertificateStatus}')


def register_etk(s, prefix, ehealth, auth_leaf):
    """startETKRegistration → decrypt the challenge → ToBeRegistered (self-issued under the auth DN) → completeETKRegistration."""
    etk_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    etk_key_path = write(os.path.join(WORK, f'{prefix}-etk.key.pem'), etk_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    spki = etk_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    start = call('EtkRa', 'startETKRegistration', sign=ehealth, PublicEncryptionKey=spki)
    expect_success(s, 'startETKRegistration')
    challenge = bytes(start.Challenge)
    s.check(len(challenge) == 256 + 32, f'challenge is {len(challenge)} bytes, expected RSA-2048 block + SHA-256 = 288')
    plain = etk_key.decrypt(challenge[:-32], padding.PKCS1v15())
    serial = plain[:16]
    digest = hashes.Hash(hashes.SHA256())
    digest.update(serial)
    s.check(digest.finalize() == challenge[-32:], 'SHA-256 of the decrypted serial does not match the challenge trailer')
    auth_key = serialization.load_pem_private_key(open(ehealth['key'], 'rb').read(), None)
    to_be_registered = (x509.CertificateBuilder()
                        .subject_name(auth_leaf.subject).issuer_name(auth_leaf.subject)
                        .public_key(etk_key.public_key())
                        .serial_number(int.from_bytes(b'\x00' + serial, 'big'))
                        .not_valid_before(auth_leaf.not_valid_before).not_valid_after(auth_leaf.not_valid_after)
                        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=True,
                                                     data_encipherment=True, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                                     encipher_only=False, decipher_only=False), critical=True)
                        .sign(auth_key, hashes.SHA256()))
    tbr_der = to_be_registered.public_bytes(serialization.Encoding.DER)
    complete = call('EtkRa', 'completeETKRegistration', sign=ehealth, ToBeRegistered=tbr_der)
    expect_success(s, 'completeETKRegistration')
    etk = bytes(complete.ETK)
    etk_path = write(os.path.join(WORK, f'{prefix}.etk.der'), etk)
    content_path = os.path.join(WORK, f'{prefix}.etk-content.der')
    verify = run(['openssl', 'cms', '-verify', '-inform', 'DER', '-in', etk_path, '-CAfile', ROOT_PEM, '-purpose', 'any',
                  '-binary', '-out', content_path], check=False)
    s.check(verify.returncode == 0, f'openssl cms -verify of the ETK failed: {verify.stderr.decode()[:300]}')
    s.check(open(content_path, 'rb').read() == tbr_der, 'the ETK eContent is not the ToBeRegistered certificate')
    enc_cert_path = write(os.path.join(WORK, f'{prefix}-etk-cert.pem'), pem(tbr_der), 'w')
    return {'etk': etk, 'etk_key': etk_key_path, 'enc_cert': enc_cert_path, 'to_be_activated': complete.ToBeActivated}


@R.step('startETKRegistration + completeETKRegistration (challenge decrypted in Python)', 'completeETKRegistration', needs=[GETCERT])
def _(s):
    state['etk'] = register_etk(s, 'main', state['ehealth'], state['main']['leaf'])
    s.check(state['etk']['to_be_activated'] is False, f'ToBeActivated={state["etk"]["to_be_activated"]} for a first ETK')


ETK = 'startETKRegistration + completeETKRegistration (challenge decrypted in Python)'


def get_etk(ssin, wsse=None, mutate=None):
    return call('EtkDepot', 'GetEtk', wsse=wsse, mutate=mutate, SearchCriteria={'Identifier': [{'Type': 'SSIN', 'Value': ssin}]})


@R.step('GetEtk unsecured (as the technical connector)', 'GetEtk', needs=[ETK, WSDL['EtkDepot']])
def _(s):
    response = get_etk(main['ssin'])
    s.check(str(response.Status.Code) == '200', f'Status/Code {response.Status.Code} {response.Status.Message}')
    s.check(response.ETK is not None and bytes(response.ETK) == state['etk']['etk'], 'GetEtk did not return the registered ETK')


state['own_wss_cert'] = None
for method, digest in [('rsa-sha1', 'sha1'), ('rsa-sha256', 'sha256')]:
    @R.step(f'GetEtk WS-Security zeep BinarySignature {method} (response signature verified)', 'GetEtk', needs=[ETK, WSDL['EtkDepot']])
    def _(s, method=method, digest=digest):
        cert_der = x509.load_pem_x509_certificate(open(state['ehealth']['cert'], 'rb').read()).public_bytes(serialization.Encoding.DER)
        state['own_wss_cert'] = cert_der
        response = get_etk(main['ssin'], wsse=wsse_for({'key': state['ehealth']['key'], 'cert': state['ehealth']['cert']}, method, digest))
        s.check(str(response.Status.Code) == '200', f'Status/Code {response.Status.Code}')
        s.check(bytes(response.ETK) == state['etk']['etk'], 'wrong ETK')
        s.check('server_signer_der' in state, 'the response signature was not checked')


@R.step('openssl cms -encrypt to the ETK, decrypt with the holder key', needs=[ETK])
def _(s):
    message = write(os.path.join(WORK, 'message.txt'), b'interop secret ' + uuid.uuid4().bytes.hex().encode())
    encrypted = os.path.join(WORK, 'message.cms')
    decrypted = os.path.join(WORK, 'message.out')
    run(['openssl', 'cms', '-encrypt', '-binary', '-aes256', '-in', message, '-outform', 'DER', '-out', encrypted, state['etk']['enc_cert']])
    run(['openssl', 'cms', '-decrypt', '-binary', '-inform', 'DER', '-in', encrypted, '-inkey', state['etk']['etk_key'],
         '-recip', state['etk']['enc_cert'], '-out', decrypted])
    s.check(open(decrypted, 'rb').read() == open(message, 'rb').read(), 'decrypted text differs')


# ---- KGSS v1: keys for unknown recipients, in sealed messages made and opened by OpenSSL alone --------------------------
KGSS = 'urn:be:fgov:ehealth:etee:kgss:1_0:protocol'
IDENTIFICATION = 'urn:be:fgov:identification-namespace'
DOCTOR = ('urn:be:fgov:certified-namespace:ehealth', 'urn:be:fgov:person:ssin:doctor:boolean', 'true')


def valid_kgss_content(s, xml_bytes, what):
    """The sealed contents against the reference "kgss inner protocol 1.2" schema (xmllint)."""
    path = write(os.path.join(WORK, f'kgss-{uuid.uuid4().hex[:8]}.xml'), xml_bytes)
    check = run(['xmllint', '--noout', '--nonet', '--schema', cfg['kgssInnerXsd'], path], check=False)
    s.check(check.returncode == 0, f'{what} is not valid against the reference KGSS inner schema: {check.stderr.decode()[:300]}')


def seal_openssl(content, prefix, recipient_args):
    """The eHealth triple wrap with the openssl CLI: sign (our eHealth key) → encrypt (AES-128) → sign."""
    ident = state['ehealth']
    signer_args = ['-signer', ident['cert'], '-inkey', ident['key'], '-certfile', ident['certs'][1], '-md', 'sha256']
    plain = write(os.path.join(WORK, f'{prefix}.xml'), content)
    inner, enveloped, outer = (os.path.join(WORK, f'{prefix}.{n}') for n in ('inner', 'env', 'sealed'))
    run(['openssl', 'cms', '-sign', '-binary', '-nodetach', '-in', plain, *signer_args, '-outform', 'DER', '-out', inner])
    run(['openssl', 'cms', '-encrypt', '-binary', '-aes128', '-inform', 'DER', '-in', inner, *recipient_args, '-outform', 'DER', '-out', enveloped])
    run(['openssl', 'cms', '-sign', '-binary', '-nodetach', '-inform', 'DER', '-in', enveloped, *signer_args, '-outform', 'DER', '-out', outer])
    return open(outer, 'rb').read()


def unseal_openssl(s, sealed, prefix, decrypt_args):
    """Opens the KGSS's answer with openssl alone: outer signature (to our root), decryption, inner signature."""
    paths = {n: os.path.join(WORK, f'{prefix}.{n}') for n in ('sealed', 'env', 'inner', 'xml')}
    write(paths['sealed'], sealed)
    verify = ['openssl', 'cms', '-verify', '-binary', '-inform', 'DER', '-CAfile', ROOT_PEM, '-purpose', 'any']
    outer = run([*verify, '-in', paths['sealed'], '-out', paths['env']], check=False)
    s.check(outer.returncode == 0, f'outer signature: {outer.stderr.decode()[:300]}')
    run(['openssl', 'cms', '-decrypt', '-binary', '-inform', 'DER', '-in', paths['env'], *decrypt_args, '-out', paths['inner']])
    inner = run([*verify, '-in', paths['inner'], '-out', paths['xml']], check=False)
    s.check(inner.returncode == 0, f'inner signature: {inner.stderr.decode()[:300]}')
    return open(paths['xml'], 'rb').read()


def kgss_content_value(xml_bytes, name):
    element = etree.fromstring(xml_bytes).find(f'{{{KGSS}}}{name}')
    return base64.b64decode(element.text) if element is not None else None


@R.step('GetEtk of the KGSS (CBE 0809394427, KGSS): its encryption certificate', 'GetEtk', needs=[WSDL['EtkDepot'], WSDL['Kgss']])
def _(s):
    response = call('EtkDepot', 'GetEtk', SearchCriteria={'Identifier': [{'Type': 'CBE', 'Value': '0809394427', 'ApplicationID': 'KGSS'}]})
    s.check(str(response.Status.Code) == '200' and response.ETK is not None, f'Status/Code {response.Status.Code}')
    etk_path = write(os.path.join(WORK, 'kgss.etk.der'), bytes(response.ETK))
    encryption_der = os.path.join(WORK, 'kgss-encryption.der')
    verify = run(['openssl', 'cms', '-verify', '-inform', 'DER', '-in', etk_path, '-CAfile', ROOT_PEM, '-purpose', 'any',
                  '-out', encryption_der], check=False)
    s.check(verify.returncode == 0, f'the KGSS ETK does not verify: {verify.stderr.decode()[:300]}')
    state['kgss_cert'] = write(os.path.join(WORK, 'kgss-encryption.pem'), pem(open(encryption_der, 'rb').read()), 'w')


KGSS_ETK = 'GetEtk of the KGSS (CBE 0809394427, KGSS): its encryption certificate'


@R.step('GetNewKey sealed by OpenSSL, answer opened by OpenSSL (access list: our SSIN, and doctors)', 'GetNewKey', needs=[ETK, KGSS_ETK])
def _(s):
    content = (f'<GetNewKeyRequestContent xmlns="{KGSS}">'
               f'<AllowedReader><Namespace>{IDENTIFICATION}</Namespace><Name>urn:be:fgov:person:ssin</Name><Value>{main["ssin"]}</Value></AllowedReader>'
               f'<AllowedReader><Namespace>{DOCTOR[0]}</Namespace><Name>{DOCTOR[1]}</Name><Value>{DOCTOR[2]}</Value></AllowedReader>'
               f'<ETK>{base64.b64encode(state["etk"]["etk"]).decode()}</ETK></GetNewKeyRequestContent>').encode()
    valid_kgss_content(s, content, 'GetNewKeyRequestContent')
    sealed = seal_openssl(content, 'kgss-new', ['-recip', state['kgss_cert']])
    response = call('Kgss', 'GetNewKey', SealedNewKeyRequest={'SealedContent': sealed})
    s.check(str(response.Status.Code) == '200' and not response.Error, f'Status {response.Status.Code} {response.Status.Message} {response.Error}')
    answer = unseal_openssl(s, bytes(response.SealedNewKeyResponse.SealedContent), 'kgss-new-answer',
                            ['-recip', state['etk']['enc_cert'], '-inkey', state['etk']['etk_key']])
    valid_kgss_content(s, answer, 'GetNewKeyResponseContent')
    key, key_id = kgss_content_value(answer, 'NewKey'), kgss_content_value(answer, 'NewKeyIdentifier')
    s.check(key is not None and len(key) == 16 and key_id, 'no 16-byte NewKey and NewKeyIdentifier')
    message = write(os.path.join(WORK, 'kgss-message.txt'), b'for an unknown recipient ' + uuid.uuid4().hex.encode())
    run(['openssl', 'cms', '-encrypt', '-binary', '-aes128', '-in', message, '-outform', 'DER', '-out', os.path.join(WORK, 'kgss-message.cms'),
         '-secretkey', key.hex(), '-secretkeyid', key_id.hex()])
    state['kgss_key'] = {'key': key, 'id': key_id, 'message': message}


NEW_KEY = 'GetNewKey sealed by OpenSSL, answer opened by OpenSSL (access list: our SSIN, and doctors)'


def get_key_content(key_id):
    content = (f'<GetKeyRequestContent xmlns="{KGSS}"><KeyIdentifier>{base64.b64encode(key_id).decode()}</KeyIdentifier>'
               f'<ETK>{base64.b64encode(state["etk"]["etk"]).decode()}</ETK></GetKeyRequestContent>').encode()
    return content


def check_released_key(s, sealed_answer, prefix):
    answer = unseal_openssl(s, sealed_answer, prefix, ['-recip', state['etk']['enc_cert'], '-inkey', state['etk']['etk_key']])
    valid_kgss_content(s, answer, 'GetKeyResponseContent')
    key = kgss_content_value(answer, 'Key')
    s.check(key == state['kgss_key']['key'], 'GetKey returned another key')
    out = os.path.join(WORK, f'{prefix}.message.out')
    run(['openssl', 'cms', '-decrypt', '-binary', '-inform', 'DER', '-in', os.path.join(WORK, 'kgss-message.cms'),
         '-secretkey', key.hex(), '-secretkeyid', state['kgss_key']['id'].hex(), '-out', out])
    s.check(open(out, 'rb').read() == open(state['kgss_key']['message'], 'rb').read(), 'the KEK message did not decrypt')


@R.step('GetKey WS-Security X.509 (zeep BinarySignature): the key decrypts the KEKRecipientInfo message', 'GetKey', needs=[NEW_KEY])
def _(s):
    content = get_key_content(state['kgss_key']['id'])
    valid_kgss_content(s, content, 'GetKeyRequestContent')
    sealed = seal_openssl(content, 'kgss-get', ['-recip', state['kgss_cert']])
    ident = state['ehealth']
    response = call('Kgss', 'GetKey', wsse=TimestampedBinarySignature(ident['key'], ident['cert'], None), SealedKeyRequest={'SealedContent': sealed})
    s.check(str(response.Status.Code) == '200' and not response.Error, f'Status {response.Status.Code} {response.Status.Message} {response.Error}')
    check_released_key(s, bytes(response.SealedKeyResponse.SealedContent), 'kgss-get-answer')


@R.step('GetKey for an unknown key id: NO_KEY_FOUND (a normal response)', 'GetKey', needs=[NEW_KEY])
def _(s):
    sealed = seal_openssl(get_key_content(os.urandom(32)), 'kgss-unknown', ['-recip', state['kgss_cert']])
    ident = state['ehealth']
    response = call('Kgss', 'GetKey', wsse=TimestampedBinarySignature(ident['key'], ident['cert'], None), SealedKeyRequest={'SealedContent': sealed})
    s.check(str(response.Status.Code) != '200' and [str(e.Code) for e in response.Error] == ['NO_KEY_FOUND'], f'{response.Status.Code} {response.Error}')
    s.check(response.SealedKeyResponse is None, 'a refusal carries a sealed answer')


def saml_assertion(holder_cert_pem, attributes):
    """A SAML 1.1 holder-of-key assertion signed with python-xmlsec by the test STS the runner made."""
    saml = 'urn:oasis:names:tc:SAML:1.0:assertion'
    assertion_id = '_' + uuid.uuid4().hex
    holder_b64 = ''.join(open(holder_cert_pem, encoding='ascii').read().split('-----')[2].split())
    instant = now().strftime('%Y-%m-%dT%H:%M:%SZ')
    subject = (f'<saml:Subject><saml:SubjectConfirmation><saml:ConfirmationMethod>urn:oasis:names:tc:SAML:1.0:cm:holder-of-key</saml:ConfirmationMethod>'
               f'<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{holder_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>'
               '</saml:SubjectConfirmation></saml:Subject>')
    attrs = ''.join(f'<saml:Attribute AttributeName="{name}" AttributeNamespace="{ns}"><saml:AttributeValue>{value}</saml:AttributeValue></saml:Attribute>'
                    for ns, name, value in attributes)
    xml = (f'<saml:Assertion xmlns:saml="{saml}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" AssertionID="{assertion_id}" IssueInstant="{instant}" '
           f'Issuer="urn:be:fgov:ehealth:sts:interop" MajorVersion="1" MinorVersion="1">'
           f'<saml:Conditions NotBefore="{now(-60).strftime("%Y-%m-%dT%H:%M:%SZ")}" NotOnOrAfter="{now(3600).strftime("%Y-%m-%dT%H:%M:%SZ")}"/>'
           f'<saml:AttributeStatement>{subject}{attrs}</saml:AttributeStatement></saml:Assertion>')
    assertion = etree.fromstring(xml.encode())
    sign_assertion(assertion, assertion_id, cfg['sts']['key'], cfg['sts']['cert'])
    return assertion, assertion_id


def sign_assertion(assertion, assertion_id, key_file, cert_file):
    """The STS's enveloped signature over #AssertionID (exc-c14n, X509Data with its certificate), replacing any other."""
    for old in assertion.findall('{http://www.w3.org/2000/09/xmldsig#}Signature'):
        assertion.remove(old)
    signature = xmlsec.template.create(assertion, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA256, ns='ds')
    assertion.append(signature)
    reference = xmlsec.template.add_reference(signature, xmlsec.Transform.SHA256, uri='#' + assertion_id)
    xmlsec.template.add_transform(reference, xmlsec.Transform.ENVELOPED)
    xmlsec.template.add_transform(reference, xmlsec.Transform.EXCL_C14N)
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    key = xmlsec.Key.from_file(key_file, xmlsec.KeyFormat.PEM)
    key.load_cert_from_file(cert_file, xmlsec.KeyFormat.PEM)
    context = xmlsec.SignatureContext()
    context.register_id(assertion, 'AssertionID')
    context.key = key
    context.sign(signature)


def hok_envelope(body_payload, assertion, assertion_id):
    """The connector's HoK message: Security = Timestamp, the assertion, and a signature (python-xmlsec) by the holder's
    key over Timestamp and Body whose KeyInfo names the assertion (KeyIdentifier …#SAMLAssertionID)."""
    wsse = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd'
    wsu = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd'
    envelope = etree.fromstring(
        (f'<soapenv:Envelope xmlns:soapenv="{SOAP11}" xmlns:wsu="{wsu}"><soapenv:Header><wsse:Security xmlns:wsse="{wsse}" soapenv:mustUnderstand="1">'
         f'<wsu:Timestamp wsu:Id="TS-1"><wsu:Created>{now().strftime("%Y-%m-%dT%H:%M:%SZ")}</wsu:Created>'
         f'<wsu:Expires>{now(60).strftime("%Y-%m-%dT%H:%M:%SZ")}</wsu:Expires></wsu:Timestamp></wsse:Security></soapenv:Header>'
         f'<soapenv:Body wsu:Id="id-body">{body_payload}</soapenv:Body></soapenv:Envelope>').encode())
    security = envelope.find(f'.//{{{wsse}}}Security')
    security.append(assertion)
    signature = xmlsec.template.create(envelope, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA256, ns='ds')
    security.append(signature)
    for uri in ('#TS-1', '#id-body'):
        reference = xmlsec.template.add_reference(signature, xmlsec.Transform.SHA256, uri=uri)
        xmlsec.template.add_transform(reference, xmlsec.Transform.EXCL_C14N)
    key_info = xmlsec.template.ensure_key_info(signature)
    str_element = etree.SubElement(key_info, f'{{{wsse}}}SecurityTokenReference')
    identifier = etree.SubElement(str_element, f'{{{wsse}}}KeyIdentifier',
                                  ValueType='http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID')
    identifier.text = assertion_id
    context = xmlsec.SignatureContext()
    context.register_id(envelope.find(f'.//{{{wsu}}}Timestamp'), 'Id', wsu)
    context.register_id(envelope.find(f'{{{SOAP11}}}Body'), 'Id', wsu)
    context.key = xmlsec.Key.from_file(state['ehealth']['key'], xmlsec.KeyFormat.PEM)
    context.sign(signature)
    return etree.tostring(envelope)


@R.step('GetKey with a SAML 1.1 holder-of-key assertion (test STS, python-xmlsec): the doctor attribute opens the key', 'GetKey', needs=[NEW_KEY])
def _(s):
    sealed = seal_openssl(get_key_content(state['kgss_key']['id']), 'kgss-hok', ['-recip', state['kgss_cert']])
    assertion, assertion_id = saml_assertion(state['ehealth']['cert'], [DOCTOR])
    payload = (f'<kgss:GetKeyRequest xmlns:kgss="{KGSS}"><kgss:SealedKeyRequest><kgss:SealedContent>{base64.b64encode(sealed).decode()}'
               '</kgss:SealedContent></kgss:SealedKeyRequest></kgss:GetKeyRequest>')
    envelope = hok_envelope(payload, assertion, assertion_id)
    response = transport.post(BASE + '/Kgss/v1', envelope, {'Content-Type': 'text/xml; charset=utf-8', 'SOAPAction': '""'})
    s.check(response.status_code == 200, f'HTTP {response.status_code}: {response.content[:400]!r}')
    answer = etree.fromstring(response.content).find(f'.//{{{KGSS}}}GetKeyResponse')
    code = answer.find('Status/Code').text
    s.check(code == '200', f'Status/Code {code}: {etree.tostring(answer)[:400]!r}')
    check_released_key(s, base64.b64decode(answer.find(f'{{{KGSS}}}SealedKeyResponse/{{{KGSS}}}SealedContent').text), 'kgss-hok-answer')


@R.step('GetKey with an assertion signed by an STS not configured: Client fault WS_SECURITY_INVALID', 'GetKey', needs=[NEW_KEY])
def _(s):
    sealed = seal_openssl(get_key_content(state['kgss_key']['id']), 'kgss-rogue', ['-recip', state['kgss_cert']])
    assertion, assertion_id = saml_assertion(state['ehealth']['cert'], [DOCTOR])
    # Re-sign the assertion with our own eHealth key: a well-formed signature by a certificate no STS list names.
    sign_assertion(assertion, assertion_id, state['ehealth']['key'], state['ehealth']['cert'])
    payload = (f'<kgss:GetKeyRequest xmlns:kgss="{KGSS}"><kgss:SealedKeyRequest><kgss:SealedContent>{base64.b64encode(sealed).decode()}'
               '</kgss:SealedContent></kgss:SealedKeyRequest></kgss:GetKeyRequest>')
    response = transport.post(BASE + '/Kgss/v1', hok_envelope(payload, assertion, assertion_id), {'Content-Type': 'text/xml; charset=utf-8', 'SOAPAction': '""'})
    s.check(response.status_code == 500, f'HTTP {response.status_code}, expected a fault')
    s.check(soa_code(etree.fromstring(response.content).find(f'.//{{{SOAP11}}}Fault/detail')) == 'WS_SECURITY_INVALID', f'{response.content[:400]!r}')


@R.step('getCertificateInfoForAuthenticationCertificate after ETK registration: ETKStatus VALID_ACTIVE', 'getCertificateInfoForAuthenticationCertificate',
        needs=[ETK])
def _(s):
    response = call('CertRa', 'getCertificateInfoForAuthenticationCertificate', sign=state['ehealth'])
    expect_success(s, 'getCertificateInfoForAuthenticationCertificate')
    s.check(response.CertificateInfo.ETKStatus == 'VALID_ACTIVE', f'ETKStatus {response.CertificateInfo.ETKStatus}')


# ---- organisation certificate (mandate) and getExistingApplicationIds ------------------------------------------------
@R.step('organisation certificate with ApplicationId (mandate holder signs)', 'generateCertificate',
        needs=[WSDL['CertRa']])
def _(s):
    org = request_certificate(s, 'org-ehealth', main, ME, application_id=ORG['appId'], organisation=ORG)
    expect_automatic(s, org['response'], 'legal representative mandate and acceptance test case registered')
    fetch_certificate(s, org['pki'], 'org-ehealth')
    state['org'] = org


@R.step('getExistingApplicationIds lists the organisation ApplicationId', 'getExistingApplicationIds',
        needs=[WSDL['CertRa'], 'organisation certificate with ApplicationId (mandate holder signs)'])
def _(s):
    response = call('CertRa', 'getExistingApplicationIds', OrganizationIdentifier={'_value_1': ORG['id'], 'Type': ORG['type']})
    ids = [a for a in (response.ApplicationId or [])]
    s.check(ORG['appId'] in ids, f'ApplicationId {ORG["appId"]} not in {ids}')


@R.step('getExistingApplicationIds of an organisation without certificates: empty', 'getExistingApplicationIds', needs=[WSDL['CertRa']])
def _(s):
    response = call('CertRa', 'getExistingApplicationIds', OrganizationIdentifier={'_value_1': '0820563481', 'Type': 'CBE'})
    doc = raw_response()
    s.check(doc is not None and etree.QName(doc.find(f'{{{SOAP11}}}Body')[0]).localname == 'GetExistingApplicationIdsResponse',
            'not a GetExistingApplicationIdsResponse')
    s.check(not response.ApplicationId, f'unexpected ApplicationIds {response.ApplicationId}')


# ---- foreigner ---------------------------------------------------------------------------------------------------------
@R.step('submitCSRForForeigner (SSIN BIS)', 'submitCSRForForeigner', needs=[WSDL['CertRa']])
def _(s):
    foreigner = cfg['persons']['foreigner']
    # Surname then first name, as the connector's ForeignRequestBuilder builds it (docs/wire-facts.md "Foreigner DN").
    dn = (f'CN=SSIN\\={foreigner["ssin"]},OU=eHealth-platform Belgium,OU={(foreigner["surname"] + " " + foreigner["given"]).upper()},'
          f'OU=SSIN\\={foreigner["ssin"]},O=Federal Government,C=BE')
    _key_path, csr_der, _key = make_csr('foreigner', dn)
    response = call('CertRa', 'submitCSRForForeigner', ForeignPerson=actor(foreigner['ssin'], foreigner['given'], foreigner['surname']),
                    ContactData=contact(foreigner['given']), CSR=csr_der)
    expect_success(s, 'submitCSRForForeigner')
    s.check(re.match(r'^https?://', str(response.ValidationUrl or '')), f'ValidationUrl {response.ValidationUrl!r}')
    s.check(response.ExpirationDate and response.ExpirationDate > now(), f'ExpirationDate {response.ExpirationDate} is not in the future')


# ---- manual validation, replacement ETK and activateETK ----------------------------------------------------------------
REPL = cfg['persons']['replacement']
RID = identity('replacement')
MANUAL = 'manual validation: generateCertificate without a test case waits; getCertificate says CERT_NOT_YET_DELIVERED until approved'


@R.step(MANUAL, 'getCertificate', needs=[WSDL['CertRa']])
def _(s):
    first = request_certificate(s, 'repl-a', REPL, RID)
    s.check(first['response'].AutomaticallyValidated is False, 'AutomaticallyValidated=true although no acceptance test case is registered')
    call('CertRa', 'getCertificate', PublicKeyIdentifier=hexid(first['pki']))
    value, summary = status_of_last()
    s.check(value != SUCCESS and 'CERT_NOT_YET_DELIVERED' in summary, f'before approval getCertificate must refuse CERT_NOT_YET_DELIVERED: {value} {summary[:300]}')
    approve_request(s, first['pki'])
    _chain, files, leaf = fetch_certificate(s, first['pki'], 'repl-a')
    first['ehealth'] = {'key': first['key_path'], 'certs': files}
    first['leaf'] = leaf
    state['repl'] = first


@R.step('second certificate for a DN outside its replacement period -> NOT_REPLACEABLE', 'generateCertificate', needs=[MANUAL], intent='negative')
def _(s):
    request_certificate(s, 'repl-b', REPL, RID, refusal='NOT_REPLACEABLE')


@R.step('first ETK of the manually validated certificate (ToBeActivated=false)', 'completeETKRegistration', needs=[MANUAL, WSDL['EtkRa']])
def _(s):
    state['repl']['etk_a'] = register_etk(s, 'repl-etk-a', state['repl']['ehealth'], state['repl']['leaf'])
    s.check(state['repl']['etk_a']['to_be_activated'] is False, 'ToBeActivated=true for a first ETK')


ETK_A = 'first ETK of the manually validated certificate (ToBeActivated=false)'
ETK_B = 'replacement ETK while the first is valid: ToBeActivated=true, GetEtk still returns the first'


@R.step(ETK_B, 'completeETKRegistration', needs=[ETK_A])
def _(s):
    state['repl']['etk_b'] = register_etk(s, 'repl-etk-b', state['repl']['ehealth'], state['repl']['leaf'])
    s.check(state['repl']['etk_b']['to_be_activated'] is True, f'ToBeActivated={state["repl"]["etk_b"]["to_be_activated"]} for a replacement ETK')
    response = get_etk(REPL['ssin'])
    s.check(str(response.Status.Code) == '200' and response.ETK is not None and bytes(response.ETK) == state['repl']['etk_a']['etk'],
            'before activation GetEtk must keep returning the first ETK')


@R.step('activateETK (replacement) then GetEtk returns the new ETK', 'activateETK', needs=[ETK_B, WSDL['EtkDepot']])
def _(s):
    call('EtkRa', 'activateETK', sign=state['repl']['ehealth'])
    expect_success(s, 'activateETK')
    response = get_etk(REPL['ssin'])
    s.check(str(response.Status.Code) == '200' and response.ETK is not None and bytes(response.ETK) == state['repl']['etk_b']['etk'],
            'after activateETK GetEtk must return the new ETK')


@R.step('activateETK with nothing waiting -> refused', 'activateETK', needs=['activateETK (replacement) then GetEtk returns the new ETK'], intent='negative')
def _(s):
    call('EtkRa', 'activateETK', sign=state['repl']['ehealth'])
    value, summary = status_of_last()
    s.check(value is not None and value != SUCCESS, f'a second activateETK was accepted: {value}')
    s.check('NOTHING_TO_ACTIVATE' in summary or 'No ETK waits for activation' in summary, f'refused without NOTHING_TO_ACTIVATE: {summary[:300]}')


# ---- negative interop: RA v2 enveloped signature -------------------------------------------------------------------------
UNTRUSTED = identity('untrusted')


def tamper_ssin(request):
    ssin = request.find('{urn:be:fgov:ehealth:certra:protocol:v2}SSIN')
    ssin.text = cfg['persons']['replacement']['ssin']


@R.step('negative RA: tampered body after signing -> INVALID_SIGNATURE', 'getActorQualities', needs=[WSDL['CertRa']], intent='negative')
def _(s):
    call('CertRa', 'getActorQualities', sign={'key': ME['auth_key'], 'certs': ME['auth_certs'], 'after': tamper_ssin},
         SSIN={'_value_1': main['ssin'], 'Type': 'SSIN'})
    expect_refusal(s, 'INVALID_SIGNATURE', certra=True)


@R.step('negative RA: IssueInstant one hour old -> REQUEST_EXPIRED', 'getActorQualities', needs=[WSDL['CertRa']], intent='negative')
def _(s):
    call('CertRa', 'getActorQualities', sign={'key': ME['auth_key'], 'certs': ME['auth_certs']}, issue_instant=now(-3600),
         SSIN={'_value_1': main['ssin'], 'Type': 'SSIN'})
    expect_refusal(s, 'REQUEST_EXPIRED', certra=True)


@R.step('negative RA: signature by an untrusted eID CA -> UNTRUSTED_SIGNER', 'getActorQualities', needs=[WSDL['CertRa']], intent='negative')
def _(s):
    untrusted = cfg['persons']['untrusted']
    call('CertRa', 'getActorQualities', sign={'key': UNTRUSTED['auth_key'], 'certs': UNTRUSTED['auth_certs']},
         SSIN={'_value_1': untrusted['ssin'], 'Type': 'SSIN'})
    expect_refusal(s, 'UNTRUSTED_SIGNER', certra=True)


@R.step('negative EtkRA: startETKRegistration signed by an untrusted certificate -> UNTRUSTED_SIGNER', 'startETKRegistration',
        needs=[WSDL['EtkRa']], intent='negative')
def _(s):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    call('EtkRa', 'startETKRegistration', sign={'key': UNTRUSTED['auth_key'], 'certs': UNTRUSTED['auth_certs']}, PublicEncryptionKey=spki)
    expect_refusal(s, 'UNTRUSTED_SIGNER', certra=False)


# ---- negative interop: WS-Security on GetEtk --------------------------------------------------------------------------
def tamper_body(envelope):
    for value in envelope.iter('{urn:be:fgov:ehealth:etkdepot:1_0:protocol}Value'):
        value.text = cfg['persons']['replacement']['ssin']
    return envelope


NEGATIVE_WSS = [
    ('tampered Body after signing', lambda: dict(wsse=wsse_for({'key': state['ehealth']['key'], 'cert': state['ehealth']['cert']}, 'rsa-sha256', 'sha256'),
                                                 mutate=tamper_body), [ETK]),
    ('expired Timestamp', lambda: dict(wsse=wsse_for({'key': state['ehealth']['key'], 'cert': state['ehealth']['cert']}, 'rsa-sha256', 'sha256',
                                                     created_offset=-1200, ttl=300)), [ETK]),
    ('signature by an untrusted certificate', lambda: dict(wsse=wsse_for({'key': UNTRUSTED['auth_key'], 'cert': UNTRUSTED['auth_certs'][0]},
                                                                          'rsa-sha256', 'sha256')), []),
]
for label, make, needs in NEGATIVE_WSS:
    @R.step(f'negative WS-Security GetEtk: {label} -> Fault WS_SECURITY_INVALID', 'GetEtk', needs=[WSDL['EtkDepot']] + needs, intent='negative')
    def _(s, make=make):
        expect_fault(s, lambda: get_etk(main['ssin'], **make()), 'WS_SECURITY_INVALID')


# ---- negative interop: transport ----------------------------------------------------------------------------------------
GET_ETK = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
           '<GetEtkRequest xmlns="urn:be:fgov:ehealth:etkdepot:1_0:protocol"><SearchCriteria><Identifier><Type>SSIN</Type>'
           f'<Value>{main["ssin"]}</Value></Identifier></SearchCriteria></GetEtkRequest></soapenv:Body></soapenv:Envelope>')
TRANSPORT_CASES = [
    ('malformed XML', GET_ETK[:-30], 'text/xml; charset=utf-8', 'MALFORMED_REQUEST', 'Client'),
    ('DOCTYPE with an entity', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>' + GET_ETK, 'text/xml; charset=utf-8', 'DTD_FORBIDDEN', 'Client'),
    ('Content-Type text/plain', GET_ETK, 'text/plain', 'UNSUPPORTED_MEDIA_TYPE', 'Client'),
    ('SOAP 1.2 envelope', GET_ETK.replace('http://schemas.xmlsoap.org/soap/envelope/', 'http://www.w3.org/2003/05/soap-envelope'),
     'text/xml; charset=utf-8', 'VERSION_MISMATCH', 'VersionMismatch'),
    ('unknown body element', GET_ETK.replace('GetEtkRequest', 'GetEtkRequestX'), 'text/xml; charset=utf-8', 'UNKNOWN_OPERATION', 'Client'),
    ('schema-invalid request (no SearchCriteria)', GET_ETK.replace(re.search('<SearchCriteria>.*</SearchCriteria>', GET_ETK).group(0), ''),
     'text/xml; charset=utf-8', 'SCHEMA_INVALID', 'Client'),
    ('unknown mustUnderstand header', GET_ETK.replace('<soapenv:Body>', '<soapenv:Header><x:Y xmlns:x="urn:x" soapenv:mustUnderstand="1"/>'
                                                       '</soapenv:Header><soapenv:Body>'), 'text/xml; charset=utf-8', 'MUST_UNDERSTAND', 'MustUnderstand'),
]
for label, body, content_type, code, fault_code in TRANSPORT_CASES:
    @R.step(f'negative transport: {label} -> Fault {code}', None, needs=[], intent='invalid-request')
    def _(s, body=body, content_type=content_type, code=code, fault_code=fault_code):
        response = transport.post(BASE + '/EtkDepot/v1', body.encode(), {'Content-Type': content_type, 'SOAPAction': '""'})
        s.check(response.status_code == 500, f'HTTP {response.status_code}, expected 500 with a SOAP Fault')
        doc = etree.fromstring(response.content)
        fault = doc.find(f'{{{SOAP11}}}Body/{{{SOAP11}}}Fault')
        s.check(fault is not None, 'no SOAP 1.1 Fault in the response')
        s.check((fault.findtext('faultcode') or '').split(':')[-1] == fault_code, f'faultcode {fault.findtext("faultcode")}, expected {fault_code}')
        s.check(soa_code(fault.find('detail')) == code, f'soa:SystemError Code {soa_code(fault.find("detail"))}, expected {code}')


# ---- revocation --------------------------------------------------------------------------------------------------------
@R.step('generateRevocationContract', 'generateRevocationContract', needs=[GETCERT])
def _(s):
    response = call('CertRa', 'generateRevocationContract', PublicKeyIdentifier=hexid(state['main']['pki']),
                    Signer=actor(main['ssin'], main['given'], main['surname']), RevocationReason='cessationOfOperation')
    expect_success(s, 'generateRevocationContract')
    contract = response.Contract
    s.check(contract is not None and contract.RevocationReason == 'cessationOfOperation', 'no revocation contract / wrong reason')
    s.check(normalised_dn(parse_dn(contract.DN)) == normalised_dn(x509_name_rdns(state['main']['leaf'].subject)),
            f'revocation contract DN {contract.DN} is not the certificate DN')
    state['revocation_contract'] = contract


@R.step('revoke (xmlsec enveloped signature, eID Signature key)', 'revoke', needs=['generateRevocationContract'])
def _(s):
    call('CertRa', 'revoke', sign={'key': ME['sig_key'], 'certs': ME['sig_certs']}, PublicKeyIdentifier=hexid(state['main']['pki']),
         Contract=state['revocation_contract'])
    expect_success(s, 'revoke')


REVOKED = 'revoke (xmlsec enveloped signature, eID Signature key)'


@R.step('after revoke: getCertificateInfoForCitizen shows REVOKED', 'getCertificateInfoForCitizen', needs=[REVOKED])
def _(s):
    response = call('CertRa', 'getCertificateInfoForCitizen', sign={'key': ME['auth_key'], 'certs': ME['auth_certs']})
    expect_success(s, 'getCertificateInfoForCitizen')
    mine = [i for i in (response.CertificateInfo or []) if unhex(i.PublicKeyIdentifier) == state['main']['pki']]
    s.check(mine and mine[0].AuthenticationCertificateStatus == 'REVOKED', f'status {[m.AuthenticationCertificateStatus for m in mine]}')
    s.check(mine[0].Revocable is False, 'a revoked certificate is still Revocable')
    state['revoked_info'] = mine[0]


@R.step('after revoke: its ETK is REVOKED too (ETKStatus)', 'getCertificateInfoForCitizen', needs=['after revoke: getCertificateInfoForCitizen shows REVOKED', ETK])
def _(s):
    s.check(state['revoked_info'].ETKStatus == 'REVOKED', f'ETKStatus {state["revoked_info"].ETKStatus} after revoking the certificate')


@R.step('after revoke: GetEtk answers 404', 'GetEtk', needs=[REVOKED, ETK])
def _(s):
    response = get_etk(main['ssin'])
    s.check(str(response.Status.Code) == '404', f'Status/Code {response.Status.Code}, expected 404 (a normal response)')
    s.check(response.ETK is None, 'an ETK is still returned')


@R.step('after revoke: the CRL (openssl crl) lists the serial', needs=[REVOKED])
def _(s):
    leaf = state['main']['leaf']
    points = leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    url = points[0].full_name[0].value
    with urllib.request.urlopen(url, timeout=20) as response:
        crl = response.read()
    crl_path = write(os.path.join(WORK, 'issuing.crl'), crl)
    text = run(['openssl', 'crl', '-inform', 'DER', '-in', crl_path, '-noout', '-text']).stdout.decode()
    verify = run(['openssl', 'crl', '-inform', 'DER', '-in', crl_path, '-noout', '-CAfile', state['main']['chain_files'][1]], check=False)
    s.check(verify.returncode == 0 and 'verify OK' in (verify.stdout + verify.stderr).decode(), f'CRL signature: {verify.stderr.decode()[:200]}')
    serial = format(leaf.serial_number, 'X')
    serial = serial if len(serial) % 2 == 0 else '0' + serial
    listed = re.findall(r'Serial Number: ([0-9A-F]+)', text)
    s.check(serial in listed, f'serial {serial} not in the CRL from {url} ({len(listed)} entries)')


print(f'python client done: {sum(1 for v in R.outcome.values() if v)} passed, {sum(1 for v in R.outcome.values() if not v)} failed', flush=True)
