/**
 * An ed25519 key pair ssh2 can read back. ssh2 1.17 strips a public key's leading zero bytes when
 * it writes one, so about one pair in 256 comes out malformed (mscdex/ssh2 issues 1390 and 1513;
 * the product draws again too, ssh-host-key.ts): a test that used such a pair failed for no
 * fault of the code under test.
 */
import ssh2 from 'ssh2';

export function readableKeyPair(): { private: string; public: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error) && !(ssh2.utils.parseKey(pair.public) instanceof Error)) return pair;
  }
}
