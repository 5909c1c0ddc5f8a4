// Every object identifier the PKI code uses, in one place (house style §2; cf. PKI.js src/ObjectIdentifiers.ts).
// Nothing else in src/ spells an OID.

/** Our private extended key usage for the federation directory signer.
 *  PLACEHOLDER ARC: 999999 is not (yet) an IANA Private Enterprise Number; the federation operator must
 *  register a PEN (https://www.iana.org/assignments/enterprise-numbers) and replace this before
 *  production. Small arcs on purpose: a 2.25 UUID OID (X.667) breaks parsers with 64-bit arcs (Go's
 *  encoding/asn1, asn1js). PROTOCOL.md §1.2 must give the same number. 764 = Thailand (ISO 3166-1 numeric). */
export const OID_EKU_SARABAN_DIRECTORY = '1.3.6.1.4.1.999999.764.1.1'

// RFC 5280 §4.2.1.12 / RFC 9336: extended key usages.
export const OID_EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1'
export const OID_EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'
export const OID_EKU_EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4'
export const OID_EKU_DOCUMENT_SIGNING = '1.3.6.1.5.5.7.3.36' // RFC 9336
export const OID_EKU_MS_DOCUMENT_SIGNING = '1.3.6.1.4.1.311.10.3.12'
export const OID_EKU_ANY = '2.5.29.37.0'
export const OID_EKU_TIME_STAMPING = '1.3.6.1.5.5.7.3.8' // RFC 3161 §2.3 id-kp-timeStamping

// RFC 5280 §4.2.1: certificate extensions.
export const OID_EXT_SUBJECT_KEY_ID = '2.5.29.14'
export const OID_EXT_KEY_USAGE = '2.5.29.15'
export const OID_EXT_SUBJECT_ALT_NAME = '2.5.29.17'
export const OID_EXT_ISSUER_ALT_NAME = '2.5.29.18'
export const OID_EXT_BASIC_CONSTRAINTS = '2.5.29.19'
export const OID_EXT_NAME_CONSTRAINTS = '2.5.29.30'
export const OID_EXT_CRL_DISTRIBUTION_POINTS = '2.5.29.31'
export const OID_EXT_CERTIFICATE_POLICIES = '2.5.29.32'
export const OID_EXT_POLICY_MAPPINGS = '2.5.29.33'
export const OID_EXT_AUTHORITY_KEY_ID = '2.5.29.35'
export const OID_EXT_POLICY_CONSTRAINTS = '2.5.29.36'
export const OID_EXT_EXT_KEY_USAGE = '2.5.29.37'
export const OID_EXT_INHIBIT_ANY_POLICY = '2.5.29.54'
export const OID_EXT_AUTHORITY_INFO_ACCESS = '1.3.6.1.5.5.7.1.1'

/** Extensions this implementation understands; RFC 5280 §4.2: a certificate with any other
 *  extension marked critical must be rejected. */
export const KNOWN_EXTENSIONS: ReadonlySet<string> = new Set([
  OID_EXT_SUBJECT_KEY_ID, OID_EXT_KEY_USAGE, OID_EXT_SUBJECT_ALT_NAME, OID_EXT_ISSUER_ALT_NAME,
  OID_EXT_BASIC_CONSTRAINTS, OID_EXT_NAME_CONSTRAINTS, OID_EXT_CRL_DISTRIBUTION_POINTS,
  OID_EXT_CERTIFICATE_POLICIES, OID_EXT_POLICY_MAPPINGS, OID_EXT_AUTHORITY_KEY_ID,
  OID_EXT_POLICY_CONSTRAINTS, OID_EXT_EXT_KEY_USAGE, OID_EXT_INHIBIT_ANY_POLICY,
  OID_EXT_AUTHORITY_INFO_ACCESS,
])

// X.520 / RFC 5280 §4.1.2.4: name attributes.
export const OID_AT_COMMON_NAME = '2.5.4.3'
export const OID_AT_COUNTRY = '2.5.4.6'
export const OID_AT_ORGANIZATION = '2.5.4.10'
export const OID_AT_ORGANIZATION_IDENTIFIER = '2.5.4.97' // X.520 (2012) organizationIdentifier

/** organizationIdentifier prefix that marks a federation agency id (PROTOCOL.md §1.2). */
export const AGENCY_ID_PREFIX = 'SRB:'

// RFC 5280 §5.2, §5.3: CRL and CRL entry extensions (crl.ts).
export const OID_EXT_CRL_NUMBER = '2.5.29.20'
export const OID_EXT_CRL_REASON = '2.5.29.21'
export const OID_EXT_INVALIDITY_DATE = '2.5.29.24'
export const OID_EXT_DELTA_CRL_INDICATOR = '2.5.29.27'
export const OID_EXT_ISSUING_DISTRIBUTION_POINT = '2.5.29.28'
export const OID_EXT_CERTIFICATE_ISSUER = '2.5.29.29'
export const OID_EXT_FRESHEST_CRL = '2.5.29.46'
