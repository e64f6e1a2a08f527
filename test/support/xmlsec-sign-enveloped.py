"""Signs the element with the given Id the way the eHealth connector does, with python-xmlsec (libxmlsec1):
enveloped ds:Signature appended as its last child, exc-c14n, one Reference to #Id with transforms enveloped-signature
then exc-c14n, KeyInfo/X509Data holding every certificate given (signer first).

usage: /usr/bin/python3 xmlsec-sign-enveloped.py KEY.pem ID SIGNATURE_METHOD DIGEST_METHOD CERT.pem [CHAIN.pem...] < in.xml > out.xml
SIGNATURE_METHOD: rsa-sha256 | rsa-sha1 | ecdsa-sha256 | ecdsa-sha384;  DIGEST_METHOD: sha256 | sha1
"""
import sys

import xmlsec
from lxml import etree

SIGNATURE_METHODS = {
    'rsa-sha256': xmlsec.Transform.RSA_SHA256,
    'rsa-sha1': xmlsec.Transform.RSA_SHA1,
    'ecdsa-sha256': xmlsec.Transform.ECDSA_SHA256,
    'ecdsa-sha384': xmlsec.Transform.ECDSA_SHA384,
}
DIGEST_METHODS = {'sha256': xmlsec.Transform.SHA256, 'sha1': xmlsec.Transform.SHA1}


def main():
    key_path, element_id, signature_method, digest_method, *cert_paths = sys.argv[1:]
    root = etree.fromstring(sys.stdin.buffer.read())
    xmlsec.tree.add_ids(root, ['Id'])
    matches = root.xpath('//*[@Id=$id]', id=element_id)
    if len(matches) != 1:
        sys.exit(f'expected one element with Id {element_id}, found {len(matches)}')
    target = matches[0]

    signature = xmlsec.template.create(target, xmlsec.Transform.EXCL_C14N, SIGNATURE_METHODS[signature_method], ns='ds')
    target.append(signature)
    reference = xmlsec.template.add_reference(signature, DIGEST_METHODS[digest_method], uri='#' + element_id)
    xmlsec.template.add_transform(reference, xmlsec.Transform.ENVELOPED)
    xmlsec.template.add_transform(reference, xmlsec.Transform.EXCL_C14N)
    x509_data = xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    xmlsec.template.x509_data_add_certificate(x509_data)  # filled by xmlsec with the key's certificates, in load order

    key = xmlsec.Key.from_file(key_path, xmlsec.KeyFormat.PEM)
    for cert_path in cert_paths:
        key.load_cert_from_file(cert_path, xmlsec.KeyFormat.PEM)
    context = xmlsec.SignatureContext()
    context.key = key
    context.sign(signature)
    sys.stdout.buffer.write(etree.tostring(root))


if __name__ == '__main__':
    main()
