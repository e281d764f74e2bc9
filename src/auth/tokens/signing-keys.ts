import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { IN_MEMORY_DATA_DIR, type AuthConfig } from '../../config/app-config.js';
import { AUTH_CONFIG, DATA_DIR } from '../../config/config-slices.js';

export const DEVELOPMENT_KEY_FILE = 'jwt-private-key.pem';

export interface PublicJwk extends JsonWebKey {
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

function assertP256(key: KeyObject, source: string): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`${source}: access tokens are signed with ES256, which needs an EC P-256 key`);
  }
}

/** RFC 7638 JWK thumbprint: a key id derived from the key itself, stable across replicas. */
export function jwkThumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

/** Splits a PEM bundle into its public keys. */
export function parsePublicKeyBundle(pem: string, source: string): KeyObject[] {
  const blocks = pem.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`${source}: no "BEGIN PUBLIC KEY" block found`);
  return blocks.map((block) => {
    const key = createPublicKey(block);
    assertP256(key, source);
    return key;
  });
}

/**
 * The key that signs access tokens and every key that verifies them (the signing key's public
 * half plus `JWT_PUBLIC_KEYS_FILE` during a rotation), as parsed `KeyObject`s: a PEM string
 * would be re-parsed on every verification (auth0/node-jsonwebtoken#1046).
 */
@Injectable()
export class SigningKeys implements OnModuleInit {
  private readonly logger = new Logger('SigningKeys');
  private privateKey: KeyObject;
  private signingKid: string;
  private readonly verificationKeys = new Map<string, KeyObject>();

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(DATA_DIR) private readonly dataDir: string,
  ) {}

  async onModuleInit(): Promise<void> {
    this.privateKey = await this.loadPrivateKey();
    assertP256(this.privateKey, 'JWT private key');
    const publicKey = createPublicKey(this.privateKey);
    this.signingKid = jwkThumbprint(publicKey);
    this.verificationKeys.set(this.signingKid, publicKey);

    const extraFile = this.config.publicKeysFile;
    if (extraFile) {
      for (const key of parsePublicKeyBundle(await readFile(extraFile, 'utf8'), extraFile)) {
        this.verificationKeys.set(jwkThumbprint(key), key);
      }
    }
  }

  get signing(): { key: KeyObject; kid: string } {
    return { key: this.privateKey, kid: this.signingKid };
  }

  verificationKey(kid: string): KeyObject | undefined {
    return this.verificationKeys.get(kid);
  }

  jwks(): { keys: PublicJwk[] } {
    return {
      keys: [...this.verificationKeys].map(([kid, key]) => ({
        ...key.export({ format: 'jwk' }),
        kid,
        alg: 'ES256',
        use: 'sig',
      })),
    };
  }

  private async loadPrivateKey(): Promise<KeyObject> {
    const { privateKeyPem, privateKeyFile } = this.config;
    if (privateKeyPem) return createPrivateKey(privateKeyPem);
    if (privateKeyFile) return createPrivateKey(await readFile(privateKeyFile, 'utf8'));
    return this.developmentKey();
  }

  /**
   * Outside production only (the configuration refuses production without a key): a key pair
   * generated once and kept in DATA_DIR, so restarts and replicas sharing DATA_DIR agree.
   */
  private async developmentKey(): Promise<KeyObject> {
    const generate = () =>
      generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
        format: 'pem',
        type: 'pkcs8',
      }) as string;
    if (this.dataDir === IN_MEMORY_DATA_DIR) return createPrivateKey(generate());

    const file = path.resolve(this.dataDir, DEVELOPMENT_KEY_FILE);
    try {
      return createPrivateKey(await readFile(file, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await mkdir(path.dirname(file), { recursive: true });
    try {
      // 'wx': two replicas starting together must not overwrite each other's key.
      await writeFile(file, generate(), { flag: 'wx', mode: 0o600 });
      this.logger.warn(
        `Generated a development signing key in ${file}; production needs JWT_PRIVATE_KEY(_FILE)`,
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    return createPrivateKey(await readFile(file, 'utf8'));
  }
}
