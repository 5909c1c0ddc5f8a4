// RFC 9162 transparency-log math and the C2SP checkpoint body (PROTOCOL.md §20). Pure: no storage,
// no keys, no clock; what a third-party auditor would reimplement.
export { leafHash, nodeHash, EMPTY_ROOT, splitPoint } from './hash.js'
export { rootHash, inclusionProof, consistencyProof, foldLeaves, CompactRange, TlogRangeError, type LeafHashes, type SubtreeCache } from './tree.js'
export { verifyInclusion, verifyConsistency } from './verify.js'
export { checkpointBody, parseCheckpointBody, logOrigin, TlogFormatError, type CheckpointBody } from './checkpoint.js'
