// Every object identifier the CMS profile uses, in one place (house style §2; cf. PKI.js
// src/ObjectIdentifiers.ts). Nothing else under src/crypto/cms spells an OID.

// RFC 5652 §4, §5, RFC 5083 §1: content types.
export const OID_DATA = '1.2.840.113549.1.7.1'
export const OID_SIGNED_DATA = '1.2.840.113549.1.7.2'
export const OID_AUTH_ENVELOPED_DATA = '1.2.840.113549.1.9.16.1.23'

/** Our eContentTypes (PROTOCOL.md §12.2). PLACEHOLDER ARC, as src/pki/oids.ts OID_EKU_SARABAN_DIRECTORY:
 *  999999 is not an IANA Private Enterprise Number yet; .764.2 = CMS content types. */
export const OID_CT_SARABAN_LETTER = '1.3.6.1.4.1.999999.764.2.1'
export const OID_CT_SARABAN_RECEIPT = '1.3.6.1.4.1.999999.764.2.2'

// RFC 5652 §11: signed attributes.
export const OID_ATTR_CONTENT_TYPE = '1.2.840.113549.1.9.3'
export const OID_ATTR_MESSAGE_DIGEST = '1.2.840.113549.1.9.4'
export const OID_ATTR_SIGNING_TIME = '1.2.840.113549.1.9.5'

// RFC 5754 §2.2: SHA-256.
export const OID_SHA256 = '2.16.840.1.101.3.4.2.1'

// RFC 8017 / RFC 4055 / RFC 5754 §3: signature algorithms.
export const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1'
export const OID_SHA256_WITH_RSA = '1.2.840.113549.1.1.11'
export const OID_RSASSA_PSS = '1.2.840.113549.1.1.10'
export const OID_MGF1 = '1.2.840.113549.1.1.8'
export const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2'

// RFC 4055 §4 / RFC 8017 A.2.1: RSAES-OAEP and its pSourceFunc.
export const OID_RSAES_OAEP = '1.2.840.113549.1.1.7'
export const OID_P_SPECIFIED = '1.2.840.113549.1.1.9'

// RFC 5480 §2.1.1: EC public keys, P-256.
export const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1'
export const OID_P256 = '1.2.840.10045.3.1.7'

// RFC 5753 §7.1.4 / SEC 1 (1.3.132.1.11.1): ephemeral-static ECDH, X9.63 KDF with SHA-256.
export const OID_DH_SINGLE_PASS_STD_DH_SHA256_KDF = '1.3.132.1.11.1'

// RFC 3565 §2.3.2 / RFC 5084 §3.2: AES key wrap and AES-GCM.
export const OID_AES256_WRAP = '2.16.840.1.101.3.4.1.45'
export const OID_AES256_GCM = '2.16.840.1.101.3.4.1.46'

// RFC 5280 §4.2.1.2: subjectKeyIdentifier (to match a SKI rid).
export const OID_EXT_SUBJECT_KEY_ID = '2.5.29.14'
