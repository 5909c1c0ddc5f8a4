#!/usr/bin/python3
"""The transparency-log vectors (test/vectors/tlog/, PROTOCOL.md §20) checked by an independent
implementation: RFC 9162 §2.1 written from the RFC with hashlib, the checkpoint body read with a
regular expression, checkpoint signatures verified with python3-jwcrypto.

  tlog-check.py VECTOR_DIR KEYS_JSON     prints a JSON report; exits 1 when any case disagrees

Standard library + jwcrypto + cryptography only (Debian: python3-jwcrypto).
"""
import base64
import hashlib
import json
import re
import sys


def leaf_hash(entry):
    return hashlib.sha256(b'\x00' + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b'\x01' + left + right).digest()


def mth(leaves):
    """RFC 9162 §2.1.1, over leaf hashes."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b'').digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def verify_inclusion(leaf, index, size, proof, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size or any(len(p) != 32 for p in proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def proof_header_kept(value, index, size, leaf, root):
    """PROTOCOL.md §20.5: a JSON object of exactly size, index (integers) and proof (standard base64
    SHA-256 hashes), for the receipt's index and its checkpoint's size, verifying to its root."""
    try:
        o = json.loads(value)
    except ValueError:
        return False
    if not isinstance(o, dict) or sorted(o) != ['index', 'proof', 'size']:
        return False
    if type(o['size']) is not int or type(o['index']) is not int or (o['index'], o['size']) != (index, size):
        return False
    hashes = o['proof']
    if not isinstance(hashes, list) or len(hashes) > 64 or not all(isinstance(h, str) and re.fullmatch(r'[A-Za-z0-9+/]{43}=', h) for h in hashes):
        return False
    return verify_inclusion(leaf, index, size, [base64.b64decode(h) for h in hashes], root)


def verify_consistency(first, second, first_root, second_root, proof):
    """RFC 9162 §2.1.4.2; the empty tree is a prefix of every tree, equal sizes need equal roots."""
    if first > second or any(len(p) != 32 for p in proof):
        return False
    if first == 0:
        return not proof
    if first == second:
        return not proof and first_root == second_root
    if not proof:
        return False
    path = [first_root] + proof if first & (first - 1) == 0 else list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


BODY = re.compile(r'\A([\x21-\x7e]+(?: [\x21-\x7e]+)*)\n(0|[1-9][0-9]{0,15})\n([A-Za-z0-9+/]{43}=)\ntime '
                  r'(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z)\n\Z')


def parse_body(text):
    """The C2SP checkpoint body, strictly (PROTOCOL.md §20.4); None when it is not one."""
    m = BODY.match(text)
    if not m:
        return None
    root = base64.b64decode(m.group(3), validate=True)
    if base64.b64encode(root).decode() != m.group(3):
        return None
    return {'origin': m.group(1), 'size': int(m.group(2)), 'root': root, 'time': m.group(4)}


def check_signed(case, keys):
    """(refused at stage or None, signer leaf sha256 or None, body text or None)"""
    from cryptography import x509
    from jwcrypto import jwk, jws
    compact = case['jws']
    try:
        head_b64 = compact.split('.')[0]
        header = json.loads(base64.urlsafe_b64decode(head_b64 + '=' * (-len(head_b64) % 4)))
        if set(header) != {'alg', 'typ', 'x5c'} or header['typ'] != 'saraban-checkpoint+jws' \
                or header['alg'] not in ('RS256', 'PS256', 'ES256'):
            return 'jws', None, None
        der = base64.b64decode(header['x5c'][0])
        key = jwk.JWK()
        key.import_from_pyca(x509.load_der_x509_certificate(der).public_key())
        s = jws.JWS()
        s.deserialize(compact)
        s.verify(key, alg=header['alg'])
        body = s.payload.decode('utf-8')
    except Exception:  # noqa: BLE001 - any failure of the JWS is a refusal at that stage
        return 'jws', None, None
    leaf = hashlib.sha256(der).hexdigest()
    parsed = parse_body(body)
    if parsed is None:
        return 'body', leaf, body
    if parsed['origin'] != 'saraban/v1/log/' + case['agency']:
        return 'origin', leaf, body
    if der != base64.b64decode(keys['agencies'][case['agency']]['signing']['x5c'][0]):
        return 'signer', leaf, body
    return None, leaf, body


def main():
    d, keys = sys.argv[1].rstrip('/') + '/', json.load(open(sys.argv[2]))
    load = lambda name: json.load(open(d + name, encoding='utf-8'))  # noqa: E731
    hx = bytes.fromhex
    bad = []
    tree = load('tree.json')
    leaves = []
    for e in tree['entries']:
        entry = e['entry'].encode('utf-8')
        if entry != hx(e['entryHex']) or leaf_hash(entry).hex() != e['leafHash']:
            bad.append(('leaf', e['index']))
        leaves.append(leaf_hash(entry))
    for r in tree['roots']:
        if mth(leaves[:r['size']]).hex() != r['root']:
            bad.append(('root', r['size']))
    inc = load('inclusion.json')['cases']
    for c in inc:
        got = verify_inclusion(hx(c['leafHash']), c['index'], c['size'], [hx(p) for p in c['proof']], hx(c['root']))
        if got != c['valid']:
            bad.append(('inclusion', c['index'], c['size'], c.get('description')))
    # proof/inclusions answers (§20.5): each proof verifies to the root of its size, in the order asked.
    incs = load('inclusions.json')['cases']
    for c in incs:
        if c['expect']['status'] != 200:
            continue
        q = dict(kv.split('=') for kv in c['query'].split('&'))
        pairs = list(zip([int(i) for i in q['index'].split(',')], [int(n) for n in q['size'].split(',')]))
        proofs = json.loads(c['expect']['body'])['proofs']
        ok = len(proofs) == len(pairs) and all(
            (p['index'], p['size']) == (i, n) and verify_inclusion(leaves[i], i, n, [base64.b64decode(h) for h in p['proof']], mth(leaves[:n]))
            for p, (i, n) in zip(proofs, pairs))
        if not ok:
            bad.append(('inclusions', c['description']))
    # Saraban-Log-Proof (§20.5): kept only for exactly the receipt's index and size, leading to its root.
    hdrs = load('log-proof-header.json')['cases']
    for c in hdrs:
        if proof_header_kept(c['value'], c['index'], c['size'], leaves[c['index']], mth(leaves[:c['size']])) != (c['expect'] == 'kept'):
            bad.append(('log-proof-header', c['description']))
    con = load('consistency.json')['cases']
    for c in con:
        got = verify_consistency(c['from'], c['to'], hx(c['fromRoot']), hx(c['toRoot']), [hx(p) for p in c['proof']])
        if got != c['valid']:
            bad.append(('consistency', c['from'], c['to'], c.get('description')))
    cps = load('checkpoints.json')
    for c in cps['bodies']:
        p = parse_body(c['body'])
        want = c['expect']
        if 'error' in want:
            ok = p is None
        else:
            ok = p is not None and p['origin'] == want['origin'] and p['size'] == want['size'] \
                and p['root'].hex() == want['rootHex'] and p['time'] == want['time']
        if not ok:
            bad.append(('body', c['description']))
    for c in cps['signed']:
        stage, leaf, body = check_signed(c, keys)
        want = c['expect']
        ok = stage == want.get('stage') and (('error' in want) == (stage is not None))
        if stage is None:
            ok = ok and body == want['body'] and leaf == want['signerLeafSha256']
        elif 'signerLeafSha256' in want:
            ok = ok and leaf == want['signerLeafSha256']
        if not ok:
            bad.append(('signed', c['description'], stage))
    print(json.dumps({'leaves': len(tree['entries']), 'roots': len(tree['roots']), 'inclusion': len(inc), 'inclusions': len(incs), 'proofHeaders': len(hdrs),
                      'consistency': len(con), 'bodies': len(cps['bodies']), 'signed': len(cps['signed']),
                      'disagree': bad}))
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
