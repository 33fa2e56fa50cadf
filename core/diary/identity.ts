import crypto from "node:crypto";
import { generateMnemonic, mnemonicToSeed, validateMnemonic } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { bech32 } from "@scure/base";
import { identityToRecipient } from "age-encryption";
import { Invalid } from "../api/errors.js";

// Her recovery phrase and the age key it is: 24 BIP-39 words → seed → HKDF-SHA256 with a fixed
// salt and info → 32 bytes → an X25519 age identity (AGE-SECRET-KEY-1…). The daemon keeps only
// the recipient (age1…, in secrets.json) and a short fingerprint of it (in persona.json), so it
// can write her diary every night while nothing on the machine can open one.

const SALT = "eternego diary v1";
const INFO = "age x25519 identity";

/** A fresh recovery phrase: 24 words with their checksum. Shown once, never stored. */
export function newPhrase(): string {
  return generateMnemonic(wordlist, 256);
}

/** The words as the person typed them: lower case, single spaces. */
export function normalisePhrase(phrase: string): string {
  return phrase.normalize("NFKD").trim().toLowerCase().split(/\s+/).join(" ");
}

/** Why these words are not a recovery phrase, or null when they are one. */
export function phraseProblem(phrase: string): string | null {
  const words = normalisePhrase(phrase).split(" ").filter(Boolean);
  if (words.length !== 24) return `A recovery phrase is 24 words; this one has ${words.length}.`;
  const unknown = words.filter((w) => !wordlist.includes(w));
  if (unknown.length) return `'${unknown[0]}' is not a word of the recovery phrase list (BIP-39 English); check its spelling.`;
  // mnemonicToSeed does not check the checksum: a mistyped word would give another key.
  if (!validateMnemonic(words.join(" "), wordlist)) return "These 24 words do not make a recovery phrase: their checksum is wrong, so one of them is mistyped or out of order.";
  return null;
}

/** The age identity (`AGE-SECRET-KEY-1…`) a phrase is; a 400 saying what is wrong when it is not a phrase. */
export async function identityOf(phrase: string): Promise<string> {
  const problem = phraseProblem(phrase);
  if (problem) throw new Invalid(problem);
  const seed = await mnemonicToSeed(normalisePhrase(phrase));
  const key = new Uint8Array(crypto.hkdfSync("sha256", seed, SALT, INFO, 32));
  return bech32.encode("age-secret-key-", bech32.toWords(key), false).toUpperCase();
}

/** The recipient (`age1…`) diaries are written to. */
export function recipientOf(identity: string): Promise<string> {
  return identityToRecipient(identity);
}

/**
 * A short fingerprint of a recipient, safe to keep in the clear (persona.json, a diary's
 * header): enough to tell whether a phrase is hers, not enough to write a diary she would open.
 */
export function fingerprintOf(recipient: string): string {
  return crypto.createHash("sha256").update(`eternego fingerprint ${recipient}`).digest("hex").slice(0, 16);
}

/** A phrase, and what the daemon keeps of it. */
export async function newKey(): Promise<{ phrase: string; recipient: string; fingerprint: string }> {
  const phrase = newPhrase();
  const recipient = await recipientOf(await identityOf(phrase));
  return { phrase, recipient, fingerprint: fingerprintOf(recipient) };
}
