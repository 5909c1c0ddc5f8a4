#!/usr/bin/python3
"""jose-v1 and jose-v2 (PROTOCOL.md §5, §6, §17.7) with an independent implementation: python3-jwcrypto + hashlib.

  open ENVELOPE RECIPIENT_JWK      decrypt (compact, or jose-v2's flattened JSON), verify the inner JWS
                                   with its x5c leaf, check the attachments against the manifest;
                                   prints a JSON report (jweHeader: protected and per-recipient merged)
  verify-receipt RECEIPT           verify a receipt with its x5c leaf; prints header and claims
  split BUNDLE PAYLOAD_JSON        split a decrypted bundle by the manifest sizes; prints digests
  seal SPEC_JSON                   build an envelope (JWS signed here, JWE made here); writes it to stdout
                                   (spec "profile": "jose-v2" → flattened JSON with a per-recipient header)

Standard library + jwcrypto + cryptography only (Debian: python3-jwcrypto).
"""
import base64
import hashlib
import json
import sys

from cryptography import x509
from jwcrypto import jwe, jwk, jws


def b64u_decode(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))


def protected_header(compact):
    return json.loads(b64u_decode(compact.split('.')[0]))


def leaf_key(header):
    cert = x509.load_der_x509_certificate(base64.b64decode(header['x5c'][0]))
    key = jwk.JWK()
    key.import_from_pyca(cert.public_key())
    return key, hashlib.sha256(base64.b64decode(header['x5c'][0])).hexdigest()


def verify_jws(compact):
    header = protected_header(compact)
    key, leaf_sha256 = leaf_key(header)
    s = jws.JWS()
    s.deserialize(compact)
    s.verify(key)  # raises on a bad signature
    return header, s.payload, leaf_sha256


def split_bundle(bundle, payload):
    nl = bundle.index(b'\n')
    body = bundle[nl + 1:]
    out, at = [], 0
    # the manifest is the letter's, or a classified cover's (PROTOCOL.md §19.3); a notice has none (§18.2)
    holder = payload.get('classified', payload.get('letter', {}))
    for item in holder.get('attachments', []):
        part = body[at:at + item['size']]
        at += item['size']
        digest = hashlib.sha256(part).hexdigest()
        out.append({'size': len(part), 'sha256': digest, 'matches': digest == item['sha256']})
    return bundle[:nl].decode('ascii'), out, at == len(body)


def jwe_header(text):
    if not text.startswith('{'):
        return protected_header(text)
    o = json.loads(text)
    return {**json.loads(b64u_decode(o['protected'])), **o.get('header', {})}


def cmd_open(envelope_path, key_path):
    compact = open(envelope_path, 'rb').read().decode('ascii')
    key = jwk.JWK(**json.load(open(key_path)))
    e = jwe.JWE()
    e.deserialize(compact, key=key)
    jws_compact = e.payload[:e.payload.index(b'\n')].decode('ascii')
    header, payload_bytes, leaf_sha256 = verify_jws(jws_compact)
    payload = json.loads(payload_bytes.decode('utf-8'))
    _, attachments, exact = split_bundle(e.payload, payload)
    return {
        'jweHeader': jwe_header(compact), 'jwsHeader': {k: v for k, v in header.items() if k != 'x5c'},
        'signerLeafSha256': leaf_sha256, 'payload': payload, 'attachments': attachments, 'lengthsExact': exact,
    }


def cmd_verify_receipt(path):
    header, payload, leaf_sha256 = verify_jws(open(path, 'rb').read().decode('ascii'))
    return {'header': {k: v for k, v in header.items() if k != 'x5c'}, 'claims': json.loads(payload), 'signerLeafSha256': leaf_sha256}


def cmd_split(bundle_path, payload_path):
    jws_compact, attachments, exact = split_bundle(open(bundle_path, 'rb').read(), json.load(open(payload_path)))
    return {'jws': jws_compact, 'attachments': attachments, 'lengthsExact': exact}


def cmd_seal(spec_path):
    spec = json.load(open(spec_path))
    signer = jwk.JWK(**spec['signerJwk'])
    payload = json.dumps({'v': 1, 'mid': spec['mid'], 'from': spec['from'], 'to': spec['to'],
                          'sentAt': spec['sentAt'], 'letter': spec['letter']}, ensure_ascii=False).encode('utf-8')
    s = jws.JWS(payload)
    s.add_signature(signer, None, json.dumps({'alg': spec['signAlg'], 'typ': 'saraban-letter+jws', 'x5c': spec['x5c']}))
    bundle = s.serialize(compact=True).encode('ascii') + b'\n' + b''.join(open(p, 'rb').read() for p in spec['attachmentFiles'])
    recipient = jwk.JWK(**spec['recipientJwk'])
    if spec.get('profile') == 'jose-v2':
        shared = {'enc': 'A256GCM', 'typ': 'saraban-envelope+jwe', 'cty': 'saraban-bundle', 'srb_v': 2}
        per = {'alg': spec['alg'], 'x5t#S256': spec['x5tS256'], 'srb_mid': spec['mid'], 'srb_from': spec['from'], 'srb_to': spec['to']}
        e = jwe.JWE(bundle, protected=json.dumps(shared))
        e.add_recipient(recipient, header=json.dumps(per))
        sys.stdout.buffer.write(e.serialize(compact=False).encode('ascii'))
        return
    header = {'alg': spec['alg'], 'enc': 'A256GCM', 'typ': 'saraban-envelope+jwe', 'cty': 'saraban-bundle',
              'x5t#S256': spec['x5tS256'], 'srb_v': 1, 'srb_mid': spec['mid'], 'srb_from': spec['from'], 'srb_to': spec['to']}
    e = jwe.JWE(bundle, protected=json.dumps(header))
    e.add_recipient(recipient)
    sys.stdout.buffer.write(e.serialize(compact=True).encode('ascii'))


if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'seal':
        cmd_seal(*args)
    else:
        result = {'open': cmd_open, 'verify-receipt': cmd_verify_receipt, 'split': cmd_split}[cmd](*args)
        json.dump(result, sys.stdout, ensure_ascii=False)
