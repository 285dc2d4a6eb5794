/**
 * Signed messages (jobs and desired states, with `job_secret`): the canonical JSON, its
 * HMAC-SHA256, the age window, and the box a message names.
 */
export {
  canonicalJson,
  checkSignature,
  type RawJob,
  type SignatureRefusal,
  type SignatureSchemes,
  signJob,
} from "./signature.ts";
