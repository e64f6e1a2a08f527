"""Signs a SOAP 1.1 envelope the way a zeep 4.2 client does (wsse.BinarySignature), with a wsu:Timestamp added to the
Security header first so that zeep signs it too (docs/wire-facts.md §4.3).

usage: /usr/bin/python3 zeep-sign-envelope.py KEY.pem CERT.pem SIGNATURE_METHOD DIGEST_METHOD TTL_SECONDS < in.xml > out.xml
SIGNATURE_METHOD: rsa-sha256 | rsa-sha1;  DIGEST_METHOD: sha256 | sha1
"""
import datetime
import sys

import xmlsec
from lxml import etree
from zeep.wsse.signature import BinarySignature
from zeep.wsse.utils import WSU, get_security_header, get_timestamp

SIGNATURE_METHODS = {'rsa-sha256': xmlsec.Transform.RSA_SHA256, 'rsa-sha1': xmlsec.Transform.RSA_SHA1}
DIGEST_METHODS = {'sha256': xmlsec.Transform.SHA256, 'sha1': xmlsec.Transform.SHA1}


def main():
    key_path, cert_path, signature_method, digest_method, ttl = sys.argv[1:]
    envelope = etree.fromstring(sys.stdin.buffer.read())
    now = datetime.datetime.utcnow()
    get_security_header(envelope).append(
        WSU.Timestamp(
            WSU.Created(get_timestamp(now, zulu_timestamp=True)),
            WSU.Expires(get_timestamp(now + datetime.timedelta(seconds=int(ttl)), zulu_timestamp=True)),
        )
    )
    signer = BinarySignature(
        key_path, cert_path, signature_method=SIGNATURE_METHODS[signature_method], digest_method=DIGEST_METHODS[digest_method]
    )
    envelope, _ = signer.apply(envelope, {})
    sys.stdout.buffer.write(etree.tostring(envelope))


if __name__ == '__main__':
    main()
