import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { vouchMessage, type DecisionKey, type VouchFields, type VouchKind, type Voucher } from '@jarvis/policies';

/**
 * The API's Ed25519 signing key (JARVIS_SIGNING_KEY): it signs every statement the API vouches
 * for (decisions, requests on an operator's behalf, the override grant). Only the API holds the
 * private half; workflows get the public half through the policy store.
 */
export class DecisionSigner {
  private readonly privateKey: KeyObject;
  /** The public half, as the policy store keeps it. */
  readonly publicKey: DecisionKey;

  constructor(privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== 'ed25519')
      throw new Error('JARVIS_SIGNING_KEY must be an Ed25519 private key');
    this.privateKey = privateKey;
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
    const raw = String(jwk.x);
    this.publicKey = {
      alg: 'Ed25519',
      publicKey: raw,
      keyId: createHash('sha256').update(raw).digest('hex').slice(0, 16),
    };
  }

  /** From JARVIS_SIGNING_KEY: a PKCS#8 PEM, or its base64 (DER or PEM). */
  static fromSetting(value: string): DecisionSigner {
    const text = value.trim();
    let key: KeyObject;
    try {
      if (text.startsWith('-----BEGIN')) key = createPrivateKey(text);
      else {
        const bytes = Buffer.from(text, 'base64');
        const asText = bytes.toString('utf8');
        key = asText.startsWith('-----BEGIN')
          ? createPrivateKey(asText)
          : createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' });
      }
    } catch {
      // The value itself is never echoed: it is a secret.
      throw new Error('JARVIS_SIGNING_KEY is not a readable Ed25519 private key (PKCS#8 PEM, or its base64)');
    }
    return new DecisionSigner(key);
  }

  /** A key that lives as long as this process (when none is configured): decisions still work, until a restart. */
  static ephemeral(): DecisionSigner {
    return new DecisionSigner(generateKeyPairSync('ed25519').privateKey);
  }

  /** A new private key as PKCS#8 PEM, for a set-up that stores one. */
  static generatePem(): string {
    return generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  sign(kind: VouchKind, fields: VouchFields, at = new Date()): Voucher {
    const stamp = at.toISOString();
    const nonce = randomBytes(18).toString('base64url');
    const sig = sign(null, Buffer.from(vouchMessage(kind, fields, stamp, nonce)), this.privateKey).toString(
      'base64url',
    );
    return { at: stamp, nonce, sig };
  }
}
