// RFC 3161 time-stamping (PROTOCOL.md §13): the token code, our small TSA, and the client.
export { verifyTimeStampToken, readTimeStampToken, type VerifiedToken, type VerifyTokenOptions, type TokenInfo } from './verify.js'
export { buildTsaServer, TSQ_MEDIA_TYPE, TSR_MEDIA_TYPE, type TsaServerOptions } from './server.js'
export { TsaClient, type TsaClientOptions, type Stamped } from './client.js'
export { issueToken, type TsaSigner } from './token.js'
export { buildRequest, parseRequest } from './request.js'
export { parseResponse } from './response.js'
export { imprintOf } from './imprint.js'
export { issueTsaCertificate, type DevTsaOptions } from './dev.js'
