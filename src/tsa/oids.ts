// Object identifiers of RFC 3161 time-stamping and of the CMS structures a time-stamp token is made of
// (house style §2: OIDs are never inlined). Certificate OIDs (id-kp-timeStamping) are in src/pki/oids.ts.

// RFC 5652 §5.1 / RFC 3161 §2.4.2: a token is a ContentInfo(SignedData) whose eContent is a TSTInfo.
export const OID_SIGNED_DATA = '1.2.840.113549.1.7.2'
export const OID_CT_TST_INFO = '1.2.840.113549.1.9.16.1.4'

// RFC 5652 §11: signed attributes.
export const OID_ATTR_CONTENT_TYPE = '1.2.840.113549.1.9.3'
export const OID_ATTR_MESSAGE_DIGEST = '1.2.840.113549.1.9.4'
// RFC 2634 §5.4 (ESS signing-certificate, SHA-1) and RFC 5035 §3 (signing-certificate-v2), which
// RFC 3161 §2.4.1 and RFC 5816 require in every token.
export const OID_ATTR_SIGNING_CERTIFICATE = '1.2.840.113549.1.9.16.2.12'
export const OID_ATTR_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47'

// Digests (RFC 5754 §2, RFC 3370 §2.1).
export const OID_SHA1 = '1.3.14.3.2.26'
export const OID_SHA256 = '2.16.840.1.101.3.4.2.1'
export const OID_SHA384 = '2.16.840.1.101.3.4.2.2'
export const OID_SHA512 = '2.16.840.1.101.3.4.2.3'

// Signature algorithms of a SignerInfo (RFC 3370 §3.2, RFC 4056 not accepted, RFC 5754 §3, RFC 5758 §3.2).
export const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1'
export const OID_SHA256_WITH_RSA = '1.2.840.113549.1.1.11'
export const OID_SHA384_WITH_RSA = '1.2.840.113549.1.1.12'
export const OID_SHA512_WITH_RSA = '1.2.840.113549.1.1.13'
export const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2'
export const OID_ECDSA_WITH_SHA384 = '1.2.840.10045.4.3.3'
export const OID_ECDSA_WITH_SHA512 = '1.2.840.10045.4.3.4'

/** The development TSA's policy (TSTInfo.policy, RFC 3161 §2.4.2).
 *  PLACEHOLDER ARC, like the directory EKU in src/pki/oids.ts: 999999 is not a registered IANA Private
 *  Enterprise Number. 764 = Thailand; .3 = time-stamping; .1 = the development TSA's policy. */
export const OID_TSA_POLICY_DEV = '1.3.6.1.4.1.999999.764.3.1'
