import crypto from "node:crypto";
import { promisify } from "node:util";
import { generateMnemonic } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";

const scrypt = promisify(crypto.scrypt) as (pw: string, salt: Buffer, len: number, opts: crypto.ScryptOptions) => Promise<Buffer>;

export interface DiaryKey {
  /** 24 BIP-39 words with checksum; shown once, never stored. */
  phrase: string;
  salt: string;
  kdf: { name: "scrypt"; N: number; r: number; p: number };
  /** The derived key (hex), kept in secrets.json so nightly diaries can be written. */
  key: string;
}

/** Derives the diary key from a phrase and her salt with the recorded KDF parameters. */
export async function deriveKey(phrase: string, saltHex: string, kdf: DiaryKey["kdf"]): Promise<string> {
  const key = await scrypt(phrase.normalize("NFKD"), Buffer.from(saltHex, "hex"), 32, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 128 * kdf.N * kdf.r * 2,
  });
  return key.toString("hex");
}

/** A fresh recovery phrase, a random per-persona salt and the key they derive. */
export async function newDiaryKey(logN: number): Promise<DiaryKey> {
  const phrase = generateMnemonic(wordlist, 256);
  const salt = crypto.randomBytes(16).toString("hex");
  const kdf = { name: "scrypt" as const, N: 2 ** logN, r: 8, p: 1 };
  return { phrase, salt, kdf, key: await deriveKey(phrase, salt, kdf) };
}
