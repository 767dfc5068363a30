import { utils } from 'ssh2';

/**
 * A fresh ed25519 key pair in OpenSSH format that ssh2 itself can read back. About one key in
 * three hundred that ssh2's generator writes fails its own parser ("Malformed OpenSSH private
 * key"), so each pair is parsed before it is used and a bad one is replaced.
 */
export function generateEd25519(comment: string): { private: string; public: string } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pair = utils.generateKeyPairSync('ed25519', { comment });
    if (!(utils.parseKey(pair.private) instanceof Error) && !(utils.parseKey(pair.public) instanceof Error))
      return pair;
  }
  throw new Error('pve-sim ssh: could not generate a readable ed25519 key');
}
