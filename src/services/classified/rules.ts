// The policy rules of the classified path (PROTOCOL.md §19), each named: every access-record entry
// stores the name of the rule that allowed or refused it, so an inspector can read the decision
// back against this table. Acts run their rules as a list of named checks, top to bottom, like the
// receive steps (services/receive/steps.ts); the first that throws refuses the act.
import { SarabanError } from '../../errors.js'

export const RULES = {
  'scope-classified': '§19.5: the API key carries the classified scope; without it the item does not exist for the key',
  'key-acts-for-agency': '§19.5: the API key acts for the agency that holds the item',
  'control-number-reserved': '§19.2: the control number was reserved by the sending agency and is used once',
  'recipients-listed': '§19.5: every recipient agency is active in the directory with an envelope profile this node can make',
  'addressee-officer-listed': '§19.3: a named addressee officer is an officer of the recipient agency in the directory',
  'release-by-sending-officer': '§19.4: at least one valid release statement by an officer of the sending agency over exactly the submitted inner bytes',
  'receive-cover': '§19.3: the outer cover matches its schema and names an officer of the recipient, and the inner envelope matches the signed cover digest',
  'delivery-receipt': '§6.3: the recipient node answered with a receipt that verifies against the sealed outer envelope',
  'download-with-scope': '§19.5: the inner envelope is given to a key with the classified scope, and each download is recorded',
  'opened-by-recipient-officer': '§19.6: the opened statement is signed by an officer of the recipient agency and names this item (control number, inner digest, message id)',
  'opened-notice-verified': '§19.6: the sending node verifies the opened statement again before it shows it',
  'forward-within-agency': '§19.9: a forwarded statement by an officer of the holding agency, to another officer of the same agency, over the new inner bytes',
  'destroy-with-authority': '§19.9: a destroyed statement by an officer of the holding agency naming the authority; the inner bytes are deleted',
  'top-secret-by-hand': '§19.8: a TOP_SECRET item travels by hand; the node records it (metadata only)',
  'received-by-hand-officer': '§19.8: the received-by-hand statement is signed by an officer of the recipient agency',
  'plaintext-refused': '§19.8: CONFIDENTIAL and SECRET letters are not accepted in plaintext; TOP_SECRET never',
  'plaintext-allowed-by-switch': '§19.8: the agency switched allowClassifiedPlaintext on; the labelled plaintext send is recorded',
  'evidence-export': '§19.10: the evidence bundle of the item (no key that opens the inner envelope) was exported',
  'inspection-report': '§19.7: the registrar\'s inspection report was produced from the access record',
} as const

export type RuleName = keyof typeof RULES

/** A named check: throws a SarabanError to refuse. */
export type RuleStep = readonly [rule: RuleName, check: () => void | Promise<void>]

export class RuleRefusal extends Error {
  constructor(readonly rule: RuleName, readonly error: SarabanError) {
    super(error.message)
  }
}

/** Runs the steps in order; a SarabanError becomes a RuleRefusal naming the rule. Returns the last rule. */
export async function runRules(steps: readonly RuleStep[]): Promise<RuleName> {
  let last: RuleName | undefined
  for (const [rule, check] of steps) {
    try {
      await check()
    } catch (e) {
      if (e instanceof SarabanError) throw new RuleRefusal(rule, e)
      throw e
    }
    last = rule
  }
  if (last === undefined) throw new Error('runRules: no rule')
  return last
}
